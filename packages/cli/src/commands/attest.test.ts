// `sathos attest` through runCli on a real workspace and a key-signed chain: build, test and scan
// steps that verify-chain accepts with relative subject names; each attack built and refused with
// the chain file byte-identical — a symlink leaving the workspace, a FIFO, a chain tampered with
// between steps, a malformed report; a denied test step recorded and the next step refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { RunBinding } from '@sathos/core';
import {
  createBundleVerifier,
  generateSigningKeyPair,
  keySigner,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  recordStep,
  signStatement,
} from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import { runCli } from '../program.js';

interface Run {
  code: number;
  json: Record<string, unknown>;
}

async function sathos(args: readonly string[]): Promise<Run> {
  let out = '';
  const code = await runCli([...args, '--json'], { out: (t) => (out += t), err: () => undefined });
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

const keys = generateSigningKeyPair();
const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
const RUN: RunBinding = {
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/ci.yml@refs/heads/main',
  runId: '42',
  runAttempt: 1,
  commit: 'c0ffee'.padEnd(40, '0'),
};
const POLICY = [
  'apiVersion: sathos.dev/v1',
  'kind: Policy',
  'stages: [source, build, test, scan]',
  'identities:',
  ...['source', 'build', 'test', 'scan'].map((s) => `  ${s}: [{ keyId: "${signer.keyId}" }]`),
  'rules:',
  '  - id: tests-pass',
  '    stage: test',
  '    expression: "evidence.testResult.result == \'PASSED\'"',
  '    message: every test passes',
].join('\n');

const JUNIT = (failures: number) =>
  `<testsuite name="unit" tests="2"><testcase name="a"/><testcase name="b">${failures > 0 ? '<failure message="boom"/>' : ''}</testcase></testsuite>`;
const SARIF = JSON.stringify({
  version: '2.1.0',
  runs: [
    {
      tool: {
        driver: { name: 'scanner', informationUri: 'https://example.com/scanner', version: '1' },
      },
      invocations: [{ startTimeUtc: '2026-01-01T00:00:00Z', executionSuccessful: true }],
      results: [],
    },
  ],
});

let dir: string;
let ws: string;
let policy: string;
let key: string;

/** A chain holding its source record, as verify-commits --chain starts one. */
async function newChain(name: string): Promise<string> {
  const chain = join(dir, name);
  const store = new JsonlFileStore(chain);
  await recordStep(
    {
      stage: 'source',
      subjects: [{ name: 'git+acme/app', digest: { gitCommit: RUN.commit } }],
      run: RUN,
      policy: parsePolicy(POLICY, policy),
    },
    {
      store,
      signer: {
        sign: (s) => signStatement(s, signer),
        actor: { kind: 'key', keyId: signer.keyId },
      },
      trust: {
        checker: createBundleVerifier(publicGoodTrust(), {
          keys: parsePublicKeys(keys.publicKeyPem, 'k'),
          allowUnloggedKeySignatures: true,
        }),
      },
    },
  );
  return chain;
}

const step = (chain: string, stage: string, ...rest: string[]) => [
  'attest',
  '--stage',
  stage,
  '--chain',
  chain,
  '--policy',
  policy,
  '--key',
  key,
  '--workspace',
  ws,
  ...rest,
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sathos-attest-'));
  ws = join(dir, 'ws');
  await mkdir(join(ws, 'services/api/dist'), { recursive: true });
  await mkdir(join(ws, 'services/web/dist'), { recursive: true });
  await writeFile(join(ws, 'services/api/dist/app.tar'), 'api');
  await writeFile(join(ws, 'services/web/dist/app.tar'), 'web');
  policy = join(dir, 'policy.yaml');
  await writeFile(policy, POLICY);
  key = join(dir, 'key.pem');
  await writeFile(key, keys.privateKeyPem);
  await writeFile(join(dir, 'pass.xml'), JUNIT(0));
  await writeFile(join(dir, 'fail.xml'), JUNIT(1));
  await writeFile(join(dir, 'scan.sarif'), SARIF);
});

void describe('sathos attest', () => {
  void it('records build, test and scan that verify-chain accepts, names relative', async () => {
    const chain = await newChain('ok.jsonl');
    const paths = ['--subject-path', 'services/*/dist/*.tar'];
    const build = await sathos(step(chain, 'build', ...paths));
    assert.equal(build.code, 0, JSON.stringify(build.json));
    const test = await sathos(step(chain, 'test', ...paths, '--junit', join(dir, 'pass.xml')));
    assert.equal(test.code, 0, JSON.stringify(test.json));
    const scan = await sathos(step(chain, 'scan', ...paths, '--sarif', join(dir, 'scan.sarif')));
    assert.equal(scan.code, 0, JSON.stringify(scan.json));
    const text = await readFile(chain, 'utf8');
    assert.match(text, /./);
    await writeFile(join(dir, 'pub.pem'), keys.publicKeyPem);
    const verified = await sathos([
      'verify-chain',
      chain,
      '--artifact',
      join(ws, 'services/web/dist/app.tar'),
      '--policy',
      policy,
      '--key',
      join(dir, 'pub.pem'),
    ]);
    assert.equal(verified.code, 0, JSON.stringify(verified.json));
    assert.equal(verified.json.verified, true);
    const records = build.json.records as { subjects: number }[];
    assert.equal(records[0]?.subjects, 2);
    const payloads = text
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(
            Buffer.from(
              (JSON.parse(l) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload,
              'base64',
            ).toString(),
          ) as { subject: { name: string }[]; predicateType: string },
      );
    const names = payloads
      .find((p) => p.predicateType.includes('transition') && p.subject.length === 2)
      ?.subject.map((s) => s.name);
    assert.deepEqual(names, ['services/api/dist/app.tar', 'services/web/dist/app.tar']);
    assert.ok(payloads.some((p) => p.predicateType === 'https://slsa.dev/provenance/v1'));
  });

  void it('refuses a symlink leaving the workspace and a FIFO; the chain stays byte-identical', async () => {
    const chain = await newChain('escape.jsonl');
    const before = await readFile(chain);
    await writeFile(join(dir, 'secret'), 'not the workspace');
    await symlink(join(dir, 'secret'), join(ws, 'services/api/dist/evil.tar'));
    const escaped = await sathos(step(chain, 'build', '--subject-path', 'services/**/*.tar'));
    assert.equal(escaped.code, 2);
    assert.match(
      String(escaped.json.reason),
      /evil\.tar: resolves through a symbolic link .*outside the workspace/,
    );
    execFileSync('mkfifo', [join(ws, 'fifo.tar')]);
    const fifo = await sathos(step(chain, 'build', '--subject-path', 'fifo.tar'));
    assert.equal(fifo.code, 2);
    assert.match(String(fifo.json.reason), /fifo\.tar: is a FIFO/);
    assert.deepEqual(await readFile(chain), before);
    execFileSync('rm', [join(ws, 'fifo.tar'), join(ws, 'services/api/dist/evil.tar')]);
  });

  void it('refuses to build on a chain tampered with between steps, leaving it as it was', async () => {
    const chain = await newChain('tampered.jsonl');
    assert.equal(
      (await sathos(step(chain, 'build', '--subject-path', 'services/**/*.tar'))).code,
      0,
    );
    const lines = (await readFile(chain, 'utf8')).trim().split('\n');
    const last = JSON.parse(lines.at(-1) ?? '') as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(last.dsseEnvelope.payload, 'base64').toString()) as {
      subject: { name: string }[];
    };
    (statement.subject[0] as { name: string }).name = 'swapped.tar';
    last.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    await writeFile(chain, [...lines.slice(0, -1), JSON.stringify(last)].join('\n') + '\n');
    const tampered = await readFile(chain);
    const next = await sathos(
      step(chain, 'test', '--subject-path', 'services/**/*.tar', '--junit', join(dir, 'pass.xml')),
    );
    assert.equal(next.code, 1);
    assert.equal(next.json.code, 'SIGNATURE_INVALID');
    assert.deepEqual(await readFile(chain), tampered);
  });

  void it('appends nothing for a malformed report, records a denied test, then refuses the next step', async () => {
    const chain = await newChain('denied.jsonl');
    assert.equal(
      (await sathos(step(chain, 'build', '--subject-path', 'services/**/*.tar'))).code,
      0,
    );
    const built = await readFile(chain);
    await writeFile(join(dir, 'broken.xml'), '<testsuite><testcase name="a">');
    const broken = await sathos(
      step(
        chain,
        'test',
        '--subject-path',
        'services/**/*.tar',
        '--junit',
        join(dir, 'broken.xml'),
      ),
    );
    assert.equal(broken.code, 2);
    assert.equal(broken.json.code, 'REPORT_INVALID');
    assert.deepEqual(await readFile(chain), built);
    const denied = await sathos(
      step(chain, 'test', '--subject-path', 'services/**/*.tar', '--junit', join(dir, 'fail.xml')),
    );
    assert.equal(denied.code, 1);
    assert.equal(denied.json.code, 'POLICY_DENIED');
    assert.ok((await readFile(chain)).length > built.length, 'the denial is recorded');
    const after = await readFile(chain);
    const scan = await sathos(
      step(
        chain,
        'scan',
        '--subject-path',
        'services/**/*.tar',
        '--sarif',
        join(dir, 'scan.sarif'),
      ),
    );
    assert.equal(scan.code, 1);
    assert.deepEqual(await readFile(chain), after);
  });

  void it('names subjects from a checksums file, digests, an image, or the runner artifacts list', async () => {
    const a = 'a'.repeat(64);
    const sums = join(dir, 'checksums.txt');
    await writeFile(sums, `${a}  dist/app_linux.tar.gz\n${a} *dist/app.exe\n`);
    const chain = await newChain('named.jsonl');
    const names = async (args: string[]): Promise<string[]> => {
      const run = await sathos(step(chain, 'build', ...args));
      assert.equal(run.code, 0, JSON.stringify(run.json));
      const last = (await readFile(chain, 'utf8')).trim().split('\n').at(-1) ?? '';
      const payload = (JSON.parse(last) as { dsseEnvelope: { payload: string } }).dsseEnvelope
        .payload;
      const statement = JSON.parse(Buffer.from(payload, 'base64').toString()) as {
        subject: { name: string }[];
      };
      return statement.subject.map((s) => s.name);
    };
    assert.deepEqual(await names(['--subject-checksums', sums]), [
      'dist/app.exe',
      'dist/app_linux.tar.gz',
    ]);
    assert.deepEqual(await names(['--subject-image', `ghcr.io/acme/app:v1@sha256:${a}`]), [
      'ghcr.io/acme/app',
    ]);
    assert.deepEqual(await names(['--subject-digest', `lib@1.0@sha256:${a}`]), ['lib@1.0']);
    const list = join(dir, 'artifacts-list.json');
    await writeFile(
      list,
      JSON.stringify({
        version: 1,
        subjects: [{ name: 'out/x.bin', digest: `sha256:${a}`, kind: 'file' }],
      }),
    );
    process.env.GITHUB_ARTIFACTS_LIST = list;
    try {
      assert.deepEqual(await names([]), ['out/x.bin']);
    } finally {
      delete process.env.GITHUB_ARTIFACTS_LIST;
    }
    const none = await sathos(step(chain, 'build'));
    assert.equal(none.code, 2);
    assert.match(String(none.json.reason), /no subject given/);
  });

  void it('is a usage error without a chain genesis, with two subject kinds, or without a signer', async () => {
    const empty = join(dir, 'empty.jsonl');
    const none = await sathos(step(empty, 'build', '--subject-path', 'services/**/*.tar'));
    assert.equal(none.code, 2);
    assert.match(String(none.json.reason), /chain is empty: start it with sathos verify-commits/);
    const chain = await newChain('usage.jsonl');
    const two = await sathos(
      step(chain, 'build', '--subject-path', 'x', '--subject-digest', `x@sha256:${'a'.repeat(64)}`),
    );
    assert.match(String(two.json.reason), /name the subjects one way/);
    const unsigned = await sathos([
      'attest',
      '--stage',
      'build',
      '--chain',
      chain,
      '--policy',
      policy,
      '--subject-path',
      'x',
    ]);
    assert.equal(unsigned.code, 2);
    assert.match(String(unsigned.json.reason), /say how to sign/);
  });
});
