// The guard action's run() with real processes under the real supervisor, a real chain of custody
// (the source record that verify-commit-signature signs), a directory standing in for the Actions
// cache and a loopback GitHub API for seeding.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  BASELINE_FORMAT,
  createBundleVerifier,
  keySigner,
  keyTrust,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  recordStep,
  signStatement,
} from '@sathos/core';
import {
  directoryCacheBackend,
  readRunContext,
  recordingIO,
  runBinding,
  type RecordedIO,
} from '@sathos/github';
import { JsonlFileStore } from '@sathos/node';
import { run as runSource } from '../../../actions/verify-commit-signature/src/main.js';
import { readGuardInputs, type GuardInputs } from '../../../actions/guard/src/inputs.js';
import { run, stepEnv, type Runtime } from '../../../actions/guard/src/main.js';
import { allowedSignersLine } from '../../commits/repo-builder.js';
import { ActionFixture } from '../verify-commit-signature/fixture.js';

const block = (text: string, spaces: number) =>
  text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');

/** A step that fetches each URL through the proxy and writes the status lines to a file. */
const FETCH_ALL = String.raw`
const http = require('node:http');
const fs = require('node:fs');
const proxy = new URL(process.env.HTTP_PROXY);
const [out, ...urls] = process.argv.slice(2);
function get(url) {
  return new Promise((resolve) => {
    const req = http.get({ host: proxy.hostname, port: proxy.port, path: url }, (res) => {
      res.resume();
      res.on('end', () => resolve(url + ' ' + res.statusCode));
    });
    req.on('error', (e) => resolve(url + ' error ' + e.code));
  });
}
(async () => {
  const lines = [];
  for (const url of urls) lines.push(await get(url));
  fs.writeFileSync(out, lines.join('\n'));
})();
`;

void describe('the guard action', () => {
  let fx: ActionFixture;
  let server: Server;
  let port: number;
  let policy: string;
  let auditPolicy: string;
  let publicKey: string;
  let script: string;
  let cacheDir: string;
  let step = 0;

  before(async () => {
    fx = new ActionFixture();
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const alice = allowedSignersLine('alice@example.com', fx.alice, 'namespaces="git"');
    const policyText = (anomaly: string) =>
      [
        'apiVersion: sathos.dev/v1',
        'kind: Policy',
        'stages: [source, build]',
        'identities:',
        `  source: [{ keyId: "${fx.recordKey.keyId}" }]`,
        `  build: [{ keyId: "${fx.recordKey.keyId}" }]`,
        'commits:',
        '  signers:',
        '    allowedSigners: |',
        block(alice, 6),
        `anomaly: ${anomaly}`,
        '',
      ].join('\n');
    policy = join(fx.work, 'policy.yml');
    writeFileSync(
      policy,
      policyText('{ mode: block, allowedHosts: [], knownAfter: { seen: 2, of: 10 } }'),
    );
    auditPolicy = join(fx.work, 'audit-policy.yml');
    writeFileSync(
      auditPolicy,
      policyText('{ mode: audit, allowedHosts: [], knownAfter: { seen: 2, of: 10 } }'),
    );
    publicKey = join(fx.work, 'record-key.pub');
    writeFileSync(publicKey, fx.recordKey.publicKeyPem);
    script = join(fx.work, 'fetch.js');
    writeFileSync(script, FETCH_ALL);
    cacheDir = join(fx.work, 'cache');
    // The chain of custody so far: the source record, signed under the same policy.
    const io = recordingIO();
    await runSource(
      fx.inputs({
        chain: fx.chainPath('verified'),
        signers: { kind: 'policy', path: policy },
        commits: { kind: 'range', base: fx.commits[0], head: fx.commits[2] },
      }),
      { env: envFor('push'), fetch, io },
    );
    assert.deepEqual(io.failures, []);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    fx.dispose();
  });

  function envFor(event: string, extra: Record<string, string> = {}): Record<string, string> {
    const eventPath = fx.event(event, { repository: { default_branch: 'main' } });
    return { ...fx.env(event, eventPath, fx.commits[2]), ...extra };
  }

  function inputs(values: Record<string, string>): GuardInputs {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) env[`INPUT_${name.toUpperCase()}`] = value;
    return readGuardInputs({ INPUT_SANDBOX: 'proxy-env', ...env });
  }

  async function guard(
    values: Record<string, string>,
    event = 'push',
    runtime: Partial<Runtime> = {},
    extraEnv: Record<string, string> = {},
  ): Promise<{ io: RecordedIO; report: Record<string, unknown> }> {
    step += 1;
    const io = recordingIO();
    const env = envFor(event, { RUNNER_TEMP: join(fx.work, `runner-temp-${step}`), ...extraEnv });
    await run(inputs(values), {
      env: { ...process.env, ...env },
      fetch,
      io,
      cache: directoryCacheBackend(cacheDir),
      now: () => 1_800_000_000_000 + step,
      ...runtime,
    });
    const path = io.outputs.get('report');
    const report =
      path === undefined ? {} : (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
    return { io, report };
  }

  const fetchRun = (out: string) => `node ${script} ${out} http://127.0.0.1:${port}/`;

  void it('blocks a host neither allowed nor known, reports it, and learns nothing', async () => {
    const out = join(fx.work, 'blocked.txt');
    const { io, report } = await guard({
      run: fetchRun(out),
      policy,
      'baseline-key': 'build',
      'record-baseline': 'true',
      chain: fx.chainPath('verified'),
      'public-keys': publicKey,
    });
    assert.deepEqual(io.failures, [], 'the command itself succeeded');
    assert.match(readFileSync(out, 'utf8'), / 403$/);
    assert.equal(io.outputs.get('halted'), 'false');
    const findings = JSON.parse(io.outputs.get('findings') ?? '[]') as {
      kind: string;
      host: string;
    }[];
    assert.deepEqual(
      findings.map((f) => [f.kind, f.host]),
      [['blocked-host', `127.0.0.1:${port}`]],
    );
    assert.equal(report.baselineRecorded, false);
    assert.match(String(report.baselineNote), /1 connection\(s\) were refused/);
    const summary = io.summaries[0];
    assert.ok(summary !== undefined);
    assert.deepEqual(summary.table?.rows, [
      [`127.0.0.1:${port}`, 'http', '1', '⛔ block', 'default', 'seen in 0 of 0 runs (not known)'],
    ]);
  });

  void it('learns audited runs whose chain verified, and then allows the host it saw k times', async () => {
    const learnOnce = () =>
      guard({
        run: fetchRun(join(fx.work, 'learn.txt')),
        policy: auditPolicy,
        'baseline-key': 'build',
        'record-baseline': 'true',
        chain: fx.chainPath('verified'),
        'public-keys': publicKey,
      });
    for (let i = 1; i <= 2; i++) {
      const { io, report } = await learnOnce();
      assert.deepEqual(io.failures, []);
      assert.equal(report.baselineRecorded, true, String(report.baselineNote));
    }
    const { io, report } = await guard({
      run: fetchRun(join(fx.work, 'known.txt')),
      policy,
      'baseline-key': 'build',
    });
    assert.deepEqual(io.failures, []);
    assert.match(readFileSync(join(fx.work, 'known.txt'), 'utf8'), / 200$/);
    const connections = report.connections as { action: string; rule: string }[];
    assert.deepEqual(
      connections.map((c) => [c.action, c.rule]),
      [['allow', 'baseline: seen in 2 of 2 runs']],
    );
    assert.ok(
      io.lines.some((l) => /baseline restored from sathos-baseline-v1\/build\//.test(l.line)),
    );
  });

  void it('on a pull request, audits the hosts a restored baseline knows and learns nothing', async () => {
    const { io, report } = await guard(
      {
        run: fetchRun(join(fx.work, 'pr.txt')),
        policy,
        'baseline-key': 'build',
        'record-baseline': 'true',
        chain: fx.chainPath('verified'),
        'public-keys': publicKey,
      },
      'pull_request',
    );
    assert.deepEqual(io.failures, []);
    const connections = report.connections as { action: string }[];
    assert.deepEqual(
      connections.map((c) => c.action),
      ['audit'],
    );
    assert.equal(report.baselineRecorded, false);
    assert.match(String(report.baselineNote), /a pull_request run does not teach the baseline/);
  });

  void it('learns nothing when the chain does not verify: missing, or signed by another key', async () => {
    const tampered = fx.chainPath('tampered');
    mkdirSync(join(tampered, '..'), { recursive: true });
    const line = readFileSync(fx.chainPath('verified'), 'utf8').trim().split('\n')[0] ?? '';
    const bundle = JSON.parse(line) as { dsseEnvelope: { signatures: { sig: string }[] } };
    const sig = bundle.dsseEnvelope.signatures[0];
    assert.ok(sig !== undefined);
    sig.sig = Buffer.from('forged').toString('base64');
    writeFileSync(tampered, `${JSON.stringify(bundle)}\n`);
    for (const chain of [fx.chainPath('absent'), tampered]) {
      const { report } = await guard({
        run: 'true',
        policy: auditPolicy,
        'baseline-key': 'other',
        'record-baseline': 'true',
        chain,
        'public-keys': publicKey,
      });
      assert.equal(report.baselineRecorded, false);
      assert.match(String(report.baselineNote), /the chain of custody does not vouch for this run/);
    }
  });

  void it('learns nothing from a verified chain of another run (a replayed chain file)', async () => {
    const { report } = await guard(
      {
        run: 'true',
        policy: auditPolicy,
        'baseline-key': 'replay',
        'record-baseline': 'true',
        chain: fx.chainPath('verified'),
        'public-keys': publicKey,
      },
      'push',
      {},
      { GITHUB_RUN_ID: '4243' },
    );
    assert.equal(report.baselineRecorded, false);
    assert.match(
      String(report.baselineNote),
      /RUN_MISMATCH: .*the chain is of run octo-org\/octo-repo 4242\/1/,
    );
  });

  /** A chain of this run whose build step its policy denied (recorded, signed, verifying record by record). */
  const deniedChain = async (name: string): Promise<string> => {
    const denied = fx.chainPath(name);
    mkdirSync(join(denied, '..'), { recursive: true });
    writeFileSync(denied, readFileSync(fx.chainPath('verified')));
    const signer = keySigner({ privateKeyPem: fx.recordKey.privateKeyPem });
    const denying = parsePolicy(
      readFileSync(auditPolicy, 'utf8').replace(
        'commits:',
        'rules: [{ id: no-build, stage: build, expression: "false", message: "no build" }]\ncommits:',
      ),
      auditPolicy,
    );
    const env = envFor('push');
    await assert.rejects(
      recordStep(
        {
          stage: 'build',
          subjects: [{ name: 'app', digest: { sha256: 'a'.repeat(64) } }],
          run: runBinding(readRunContext(env)),
          policy: denying,
        },
        {
          store: new JsonlFileStore(denied),
          signer: {
            sign: (statement) => signStatement(statement, signer),
            actor: { kind: 'key', keyId: signer.keyId },
          },
          trust: {
            checker: createBundleVerifier(
              publicGoodTrust(),
              keyTrust({ keys: parsePublicKeys(fx.recordKey.publicKeyPem, 'k'), rootNamed: false }),
            ),
          },
        },
      ),
      /POLICY_DENIED|denied/,
    );
    return denied;
  };

  void it('learns nothing after a step its policy denied (a poisoned run recorded, then guarded)', async () => {
    // The chain verifies record by record, but its build step was denied: the run earned nothing.
    const denied = await deniedChain('denied');
    const { report } = await guard({
      run: 'true',
      policy: auditPolicy,
      'baseline-key': 'poisoned',
      'record-baseline': 'true',
      chain: denied,
      'public-keys': publicKey,
    });
    assert.equal(report.baselineRecorded, false);
    assert.match(
      String(report.baselineNote),
      /the chain of custody does not vouch for this run \(POLICY_DENIED/,
    );
  });

  void it('learns nothing when the command cut the denied record off the chain while it ran', async () => {
    // Attack: the chain is vouched for after the command; the command drops the chain's last line
    // (the denied build record), so what is left verifies and the run would teach the baseline.
    const denied = await deniedChain('denied-cut');
    const { report } = await guard({
      run: `sed -i '$d' '${denied}'`,
      policy: auditPolicy,
      'baseline-key': 'poisoned-cut',
      'record-baseline': 'true',
      chain: denied,
      'public-keys': publicKey,
    });
    assert.equal(report.baselineRecorded, false);
    assert.match(String(report.baselineNote), /the chain file changed while the step ran/);
  });

  void it('halts past max-duration and fails the step; passes a failing status on', async () => {
    const halted = await guard({ run: 'sleep 30', 'max-duration': '1' });
    assert.equal(halted.io.outputs.get('halted'), 'true');
    assert.deepEqual(halted.io.failures, [
      'the step was halted: the step ran past its deadline of 1000 ms',
    ]);
    const failed = await guard({ run: 'exit 3' });
    assert.deepEqual(failed.io.failures, ['the command exited with 3']);
  });

  void it('fails on a corrupt cached baseline rather than trusting or ignoring it', async () => {
    const backend = directoryCacheBackend(join(fx.work, 'hostile-cache'));
    const file = join(fx.work, 'hostile.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: BASELINE_FORMAT,
        step: 'build',
        runs: [{ at: 1, durationMs: 5, hosts: ['*'] }],
      }),
    );
    await backend.save(file, 'sathos-baseline-v1/build/1-1');
    const { io } = await guard({ run: 'true', 'baseline-key': 'build' }, 'push', {
      cache: backend,
    });
    assert.equal(io.failures.length, 1);
    assert.match(
      io.failures[0] ?? '',
      /^BASELINE_INVALID: cache entry sathos-baseline-v1\/build\/1-1/,
    );
  });

  void it('keeps its inputs and the cache credentials from the command', () => {
    const env = stepEnv({
      PATH: '/bin',
      'INPUT_GITHUB-TOKEN': 'ghs_secret',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      ACTIONS_RESULTS_URL: 'https://results',
      GITHUB_SHA: 'abc',
    });
    assert.deepEqual(env, { PATH: '/bin', GITHUB_SHA: 'abc' });
  });

  void it('refuses unusable inputs with one line naming the input', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /input "run" is required/],
      [{ run: 'true', mode: 'lax' }, /input "mode" is "lax"/],
      [{ run: 'true', 'max-duration': '-1' }, /input "max-duration"/],
      [{ run: 'true', 'record-baseline': 'true' }, /needs "baseline-key".*and "policy"/],
      [{ run: 'true', 'baseline-key': '../x' }, /input "baseline-key"/],
      [{ run: 'true', 'seed-step': 'compile' }, /"seed-step" needs "seed-job"/],
    ];
    for (const [values, message] of cases) assert.throws(() => inputs(values), message);
  });

  void it('with a policy, refuses hosts from the workflow', async () => {
    const { io } = await guard({ run: 'true', policy, 'allow-hosts': 'evil.example' });
    assert.match(io.failures[0] ?? '', /^USAGE: .*the policy names the allowed hosts/);
  });
});

void describe('the guard action seeds durations from the API on a cache miss', () => {
  let fx: ActionFixture;
  let api: Server;
  let apiUrl: string;
  before(async () => {
    fx = new ActionFixture();
    api = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
      let body: unknown = { message: 'Not Found' };
      if (url.pathname === '/repos/octo-org/octo-repo/actions/workflows/ci.yml/runs')
        body = {
          workflow_runs: [1, 2, 3, 4, 5].map((id) => ({
            id,
            conclusion: 'success',
            event: 'push',
            head_branch: 'main',
          })),
        };
      else if (/\/actions\/runs\/\d+\/jobs$/.test(url.pathname))
        body = {
          jobs: [
            {
              id: 77,
              name: 'build',
              conclusion: 'success',
              started_at: at(0),
              completed_at: at(10),
            },
          ],
        };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(() => {
    api.closeAllConnections();
    api.close();
    fx.dispose();
  });

  void it('plans the step with the seeded durations', async () => {
    const io = recordingIO();
    const eventPath = fx.event('push', { repository: { default_branch: 'main' } });
    await run(
      readGuardInputs({
        INPUT_RUN: 'true',
        'INPUT_BASELINE-KEY': 'build',
        'INPUT_SEED-JOB': 'build',
        INPUT_SANDBOX: 'proxy-env',
        'INPUT_GITHUB-TOKEN': 'ghs_test',
      }),
      {
        env: {
          ...process.env,
          ...fx.env('push', eventPath, fx.commits[2], { GITHUB_API_URL: apiUrl }),
        },
        fetch,
        io,
        cache: directoryCacheBackend(join(fx.work, 'cache')),
        now: Date.now,
      },
    );
    assert.deepEqual(io.failures, []);
    const report = JSON.parse(readFileSync(io.outputs.get('report') ?? '', 'utf8')) as {
      anomaly: {
        baseline: { runs: number; medianMs: number; learning: boolean; knownHosts: number };
      };
    };
    assert.deepEqual(report.anomaly.baseline.runs, 5);
    assert.equal(report.anomaly.baseline.medianMs, 10_000);
    assert.equal(report.anomaly.baseline.learning, false);
    assert.ok(io.lines.some((l) => /seeded 5 durations from ci\.yml runs on main/.test(l.line)));
    // Seeded runs carry no hosts: they cannot make any host known.
    assert.equal(report.anomaly.baseline.knownHosts, 0);
  });
});
