// `sathos guard` end to end: real commands under the real supervisor (packages/guard), real loopback
// servers, real baseline files. Through runCli as the executable runs it, and once as a process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  anomalySettings,
  BASELINE_FORMAT,
  emptyBaseline,
  parseBaseline,
  planStep,
  serializeBaseline,
  withRuns,
} from '@sathos/core';
import { runCli } from '../program.js';

interface Run {
  code: number;
  out: string;
  err: string;
  json: Record<string, unknown>;
}

async function sathos(args: readonly string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  const json = args.includes('--json') ? (JSON.parse(out) as Record<string, unknown>) : {};
  return { code, out, err, json };
}

const POLICY = (anomaly: string) => `apiVersion: sathos.dev/v1
kind: Policy
stages: [source]
identities:
  source: [{ keyId: "sha256:${'a'.repeat(64)}" }]
anomaly: ${anomaly}
`;

/** A step that asks the proxy for each URL given and writes the status lines to a file. */
const FETCH_ALL = String.raw`
const http = require('node:http');
const fs = require('node:fs');
const proxy = new URL(process.env.HTTP_PROXY);
const [out, ...urls] = process.argv.slice(1);
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

interface Counting {
  server: Server;
  port: number;
  hits: () => number;
}

async function countingServer(): Promise<Counting> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

let dir: string;
const path = (name: string) => join(dir, name);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sathos-guard-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

void describe('sathos guard: exit status and deadlines', () => {
  void it('halts a command past --max-duration and exits 1, saying so in --json and --report', async () => {
    const run = await sathos([
      'guard',
      '--max-duration',
      '2',
      '--report',
      path('halt.json'),
      '--json',
      '--',
      'sleep',
      '30',
    ]);
    assert.equal(run.code, 1);
    assert.equal(run.json.allowed, false);
    assert.equal(run.json.code, 'STEP_HALTED');
    assert.equal(run.json.halted, true);
    const report = JSON.parse(await readFile(path('halt.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(report.halted, {
      cause: 'deadline',
      reason: 'the step ran past its deadline of 2000 ms',
    });
    assert.deepEqual(report.command, ['sleep', '30']);
    assert.ok(['netns', 'iptables', 'proxy-env'].includes(report.sandbox as string));
    const findings = run.json.findings as { kind: string; source: string; halted: boolean }[];
    assert.deepEqual(
      findings.map((f) => [f.kind, f.source, f.halted]),
      [['slow-step', 'max-duration', true]],
    );
  });

  void it("passes the command's exit status through", async () => {
    const seven = await sathos(['guard', '--', 'sh', '-c', 'exit 7']);
    assert.equal(seven.code, 7);
    assert.match(seven.err, /^guard: the step exited with 7 /);
    assert.equal((await sathos(['guard', '--', 'true'])).code, 0);
  });

  void it('the sathos process itself ends with the status (bin.ts)', async () => {
    const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
    const code = await new Promise<number | null>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', bin, 'guard', '--', 'sh', '-c', 'exit 42'],
        { timeout: 120_000 },
        (error) => {
          resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : null);
        },
      );
    });
    assert.equal(code, 42);
  });
});

/** Pids of live processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      if ((await readFile(`/proc/${name}/cmdline`, 'utf8')).includes(marker))
        found.push(Number(name));
    } catch {
      // Gone already.
    }
  }
  return found;
}

void describe('sathos guard: a signal to sathos halts the command', () => {
  void it('SIGTERM (a cancelled job) ends the whole tree and sathos exits 1', async () => {
    const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
    const started = path('started');
    const marker = '31.4159';
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        bin,
        'guard',
        '--sandbox',
        'proxy-env',
        '--',
        'sh',
        '-c',
        `touch ${started}; sleep ${marker}`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    while (
      !(await readFile(started).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    assert.equal(await exited, 1);
    assert.deepEqual(await processesWith(marker), [], 'nothing of the tree outlives sathos');
  });
});

void describe('sathos guard: usage errors exit 2 with one line', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown mode', ['--mode', 'lax'], /--mode "lax" must be one of audit, block, halt/],
    ['a zero duration', ['--max-duration', '0'], /--max-duration "0" must be a number of seconds/],
    ['a duration that is not a number', ['--max-duration', '1e3'], /--max-duration/],
    ['recording without a file', ['--record-baseline'], /--record-baseline needs --baseline/],
    ['a wildcard host', ['--allow-host', '*'], /allowedHosts\[0\] "\*" is not a host/],
    ['a port out of range', ['--allow-host', 'a.example:0'], /from 1 to 65535/],
    ['a bad sandbox', ['--sandbox', 'chroot'], /--sandbox "chroot"/],
    ['a bad step id', ['--step', '../x'], /--step/],
    ['a report in a missing directory', ['--report', '/nonexistent/r.json'], /does not exist/],
    [
      'a baseline to record in a missing directory',
      ['--baseline', '/nonexistent/b.json', '--record-baseline'],
      /--baseline "\/nonexistent\/b.json": the directory \/nonexistent does not exist/,
    ],
  ];
  for (const [name, flags, message] of cases) {
    void it(name, async () => {
      const run = await sathos(['guard', ...flags, '--', 'true']);
      assert.equal(run.code, 2, run.err);
      assert.equal(run.err.trim().split('\n').length, 1, run.err);
      assert.match(run.err, message);
    });
  }

  void it('no command at all', async () => {
    const run = await sathos(['guard', '--json']);
    assert.equal(run.code, 2);
    assert.equal(run.json.code, 'USAGE');
  });

  void it('hosts on the command line beside a policy, or a looser mode than it names', async () => {
    await writeFile(path('halt-policy.yaml'), POLICY('{ mode: halt, allowedHosts: [] }'));
    const hosts = await sathos([
      'guard',
      '--policy',
      path('halt-policy.yaml'),
      '--allow-host',
      'evil.example',
      '--',
      'true',
    ]);
    assert.equal(hosts.code, 2);
    assert.match(hosts.err, /the policy names the allowed hosts/);
    const looser = await sathos([
      'guard',
      '--policy',
      path('halt-policy.yaml'),
      '--mode',
      'audit',
      '--',
      'true',
    ]);
    assert.equal(looser.code, 2);
    assert.match(looser.err, /only make it stricter/);
  });
});

void describe('sathos guard: hostile baselines are refused, never trusted', () => {
  const hostile = (runs: unknown[]) =>
    JSON.stringify({ format: BASELINE_FORMAT, step: 'build', runs });

  void it('a baseline listing * as a host, or a 0 ms run, is BASELINE_INVALID (exit 2)', async () => {
    for (const [name, runs] of [
      ['star.json', [{ at: 1, durationMs: 10, hosts: ['*'] }]],
      ['zero.json', [{ at: 1, durationMs: 0, hosts: [] }]],
    ] as const) {
      await writeFile(path(name), hostile([...runs]));
      const run = await sathos(['guard', '--baseline', path(name), '--json', '--', 'true']);
      assert.equal(run.code, 2);
      assert.equal(run.json.code, 'BASELINE_INVALID');
      assert.match(run.json.reason as string, /start a fresh baseline/);
    }
  });

  void it('a baseline of another step is refused', async () => {
    await writeFile(path('other.json'), hostile([]));
    const run = await sathos([
      'guard',
      '--baseline',
      path('other.json'),
      '--step',
      'test',
      '--',
      'true',
    ]);
    assert.equal(run.code, 2);
    assert.match(run.err, /of step "build", not "test"/);
  });
});

void describe('sathos guard: egress', () => {
  let allowed: Counting;
  let other: Counting;
  before(async () => {
    allowed = await countingServer();
    other = await countingServer();
  });
  after(() => {
    for (const s of [allowed, other]) {
      s.server.closeAllConnections();
      s.server.close();
    }
  });

  void it('lets the command reach an allowed host only, reports both, and learns nothing', async () => {
    const results = path('egress.txt');
    const baseline = path('egress-baseline.json');
    const run = await sathos([
      'guard',
      '--allow-host',
      `127.0.0.1:${allowed.port}`,
      '--baseline',
      baseline,
      '--record-baseline',
      '--report',
      path('egress.json'),
      '--json',
      '--',
      process.execPath,
      '-e',
      FETCH_ALL,
      results,
      `http://127.0.0.1:${allowed.port}/`,
      `http://127.0.0.1:${other.port}/`,
    ]);
    assert.equal(run.code, 0, run.out);
    const lines = (await readFile(results, 'utf8')).split('\n');
    assert.equal(lines[0], `http://127.0.0.1:${allowed.port}/ 200`);
    assert.match(lines[1] ?? '', / 403$/);
    assert.equal(allowed.hits(), 1);
    assert.equal(other.hits(), 0, 'the blocked server never saw a connection');
    const findings = run.json.findings as { kind: string; host: string }[];
    assert.deepEqual(
      findings.map((f) => [f.kind, f.host]),
      [['blocked-host', `127.0.0.1:${other.port}`]],
    );
    assert.equal(
      run.json.baselineRecorded,
      false,
      'a run with a refused connection teaches nothing',
    );
    await assert.rejects(readFile(baseline), 'no baseline file was written');
    const report = JSON.parse(await readFile(path('egress.json'), 'utf8')) as {
      connections: { host: string; port: number; action: string; rule: string }[];
      baselineNotRecorded: string;
    };
    assert.deepEqual(
      report.connections.map((c) => [c.host, c.port, c.action, c.rule]),
      [
        ['127.0.0.1', allowed.port, 'allow', 'allowedHosts[0]'],
        ['127.0.0.1', other.port, 'block', 'default'],
      ],
    );
    assert.match(report.baselineNotRecorded, /1 connection\(s\) were refused/);
  });
});

void describe('sathos guard: the issue check, end to end', () => {
  // A baseline built from ten runs of a step: an eleventh that takes three times as long is halted
  // under `halt`, recorded under `audit`. Under load the learned runs are noisy, and a noisy baseline
  // earns a wider deadline (median + 4 robust deviations): the deadline is computed here by the same
  // core function the command uses, and the eleventh runs three times the median or, should the
  // noise have widened the deadline that far, well past it — whatever this machine's speed.
  const baseline = () => path('issue-baseline.json');
  let medianMs = 0;
  let deadlineMs = 0;
  let eleventhMs = 0;

  before(async () => {
    await writeFile(
      path('issue-halt.yaml'),
      POLICY('{ mode: halt, durationRatio: 1.5, allowedHosts: [] }'),
    );
    await writeFile(
      path('issue-audit.yaml'),
      POLICY('{ mode: audit, durationRatio: 1.5, allowedHosts: [] }'),
    );
    for (let i = 0; i < 10; i++) {
      const run = await sathos([
        'guard',
        '--policy',
        path('issue-audit.yaml'),
        '--baseline',
        baseline(),
        '--record-baseline',
        '--step',
        'build',
        '--sandbox',
        'proxy-env',
        '--json',
        '--',
        'sleep',
        '1',
      ]);
      assert.equal(run.code, 0, run.out);
      assert.equal(run.json.baselineRecorded, true, run.out);
    }
    const learned = parseBaseline(await readFile(baseline()), baseline());
    assert.equal(learned.runs.length, 10);
    const sorted = learned.runs.map((r) => r.durationMs).sort((a, b) => a - b);
    medianMs = ((sorted[4] ?? 0) + (sorted[5] ?? 0)) / 2;
    const settings = anomalySettings(
      { mode: 'halt', durationRatio: 1.5, allowedHosts: [] },
      {},
      'issue-halt.yaml',
    );
    deadlineMs = planStep(settings, learned).baselineDeadlineMs ?? 0;
    assert.ok(deadlineMs > 0, 'ten runs set a deadline');
    eleventhMs = Math.max(3 * medianMs, 1.5 * deadlineMs);
  });

  const eleventh = (policy: string) =>
    sathos([
      'guard',
      '--policy',
      path(policy),
      '--baseline',
      baseline(),
      '--sandbox',
      'proxy-env',
      '--json',
      '--',
      'sleep',
      (eleventhMs / 1000).toFixed(3),
    ]);

  void it('under halt, the eleventh run is halted at the baseline deadline', async () => {
    const run = await eleventh('issue-halt.yaml');
    assert.equal(run.code, 1, run.out);
    assert.equal(run.json.code, 'STEP_HALTED');
    const anomaly = run.json.anomaly as {
      deadline: { source: string; ms: number };
      findings: { kind: string; halted: boolean; source: string }[];
    };
    assert.equal(anomaly.deadline.source, 'baseline');
    assert.equal(anomaly.deadline.ms, deadlineMs, 'the deadline the baseline sets');
    assert.ok(deadlineMs < eleventhMs);
    assert.deepEqual(
      anomaly.findings.map((f) => [f.kind, f.halted, f.source]),
      [['slow-step', true, 'baseline']],
    );
  });

  void it('under audit, the eleventh run completes and the slow step is recorded', async () => {
    const run = await eleventh('issue-audit.yaml');
    assert.equal(run.code, 0, run.out);
    const anomaly = run.json.anomaly as {
      deadline?: unknown;
      findings: { kind: string; halted: boolean }[];
    };
    assert.equal(anomaly.deadline, undefined, 'audit enforces no baseline deadline');
    assert.deepEqual(
      anomaly.findings.map((f) => [f.kind, f.halted]),
      [['slow-step', false]],
    );
  });
});

void describe('sathos guard: the command cannot rewrite its own baseline', () => {
  let other: Counting;
  before(async () => {
    other = await countingServer();
  });
  after(() => {
    other.server.close();
  });

  /** Copies argv[1] over argv[2]: a step planting a baseline that knows a host it never reached. */
  const PLANT = "require('node:fs').copyFileSync(process.argv[1], process.argv[2])";

  void it('a planted baseline is put back and fails the run; the next run still blocks the host', async () => {
    const baseline = path('tamper-baseline.json');
    const hostile = path('tamper-hostile.json');
    const runs = Array.from({ length: 10 }, (_, i) => ({
      at: Date.now() - 60_000 + i,
      durationMs: 600_000,
      hosts: [`127.0.0.1:${other.port}`],
    }));
    await writeFile(hostile, serializeBaseline(withRuns(emptyBaseline('default'), runs)));
    const guard = (args: readonly string[]) =>
      sathos(['guard', '--mode', 'block', '--baseline', baseline, '--json', '--', ...args]);

    // No baseline yet: the planted one is removed.
    const planted = await guard([process.execPath, '-e', PLANT, hostile, baseline]);
    assert.equal(planted.code, 1, planted.out);
    assert.equal(planted.json.code, 'BASELINE_TAMPERED');
    await assert.rejects(readFile(baseline), 'the planted baseline is gone');

    // A baseline of its own: the rewrite is undone byte for byte.
    const own = serializeBaseline(emptyBaseline('default'));
    await writeFile(baseline, own);
    const rewritten = await guard([process.execPath, '-e', PLANT, hostile, baseline]);
    assert.equal(rewritten.json.code, 'BASELINE_TAMPERED', rewritten.out);
    assert.equal(await readFile(baseline, 'utf8'), own);

    const results = path('tamper-results.txt');
    const next = await guard([
      process.execPath,
      '-e',
      FETCH_ALL,
      results,
      `http://127.0.0.1:${other.port}/`,
    ]);
    assert.equal(next.code, 0, next.out);
    assert.match(await readFile(results, 'utf8'), / 403$/);
    assert.equal(other.hits(), 0, 'the host the planted baseline named was never reached');
  });
});
