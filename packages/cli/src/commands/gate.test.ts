// `sathos gate` through runCli over real key-signed chain files: the honest chain is allowed (exit 0,
// decision appended, the chain then verifies); an altered record, a removed stage and a record of
// another run are refused with the file untouched (exit 1); an undeclared environment, a freeze and
// a missing approval are denied and recorded (exit 1, the failing rules listed); unusable input is
// exit 2 with nothing appended.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceDescriptor, RunBinding, StepPorts } from '@sathos/core';
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

const builder = generateSigningKeyPair();
const gateKeys = generateSigningKeyPair();
const builderSigner = keySigner({ privateKeyPem: builder.privateKeyPem });
const gateSigner = keySigner({ privateKeyPem: gateKeys.privateKeyPem });
const APP_BYTES = Buffer.from('the app that was built');
const SHA = createHash('sha256').update(APP_BYTES).digest('hex');
const APP: ResourceDescriptor = { name: 'app.tar', digest: { sha256: SHA } };
const run = (runId: string): RunBinding => ({
  repository: 'demo/app',
  workflowRef: 'demo/app/.github/workflows/release.yml@refs/heads/main',
  runId,
  runAttempt: 1,
  commit: 'c0ffee0000000000000000000000000000000001',
});

const POLICY = `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, scan, decision, deploy]
identities:
${['source', 'build', 'test', 'scan'].map((s) => `  ${s}: [{ keyId: "${builderSigner.keyId}" }]`).join('\n')}
  decision: [{ keyId: "${gateSigner.keyId}" }]
  deploy: [{ keyId: "${gateSigner.keyId}" }]
environments:
  production:
    requiredStages: [source, build, test, scan, decision]
    approvals: { required: 1, from: [alice] }
  frozen:
    changeWindows:
      freezes: [{ from: "2000-01-01T00:00:00Z", until: "2100-01-01T00:00:00Z", reason: never }]
`;

let dir: string;
let n = 0;

/** A chain file holding source → scan of one run, signed by the builder key. */
async function chain(runId = '7'): Promise<string> {
  const path = join(dir, `chain-${(n += 1)}.jsonl`);
  const policy = parsePolicy(POLICY, 'policy.yaml');
  const ports: StepPorts = {
    store: new JsonlFileStore(path),
    signer: {
      sign: (s) => signStatement(s, builderSigner),
      actor: { kind: 'key', keyId: builderSigner.keyId },
    },
    trust: {
      checker: createBundleVerifier(publicGoodTrust(), {
        keys: parsePublicKeys(builder.publicKeyPem, 'builder.pub'),
        allowUnloggedKeySignatures: true,
      }),
    },
  };
  const source = [{ name: 'git+demo/app', digest: { gitCommit: run(runId).commit } }];
  await recordStep({ stage: 'source', subjects: source, run: run(runId), policy }, ports);
  for (const stage of ['build', 'test', 'scan'])
    await recordStep({ stage, subjects: [APP], run: run(runId), policy }, ports);
  return path;
}

const args = (path: string, environment = 'production', extra: string[] = []) => [
  'gate',
  '--chain',
  path,
  '--artifact',
  join(dir, 'app.tar'),
  '--policy',
  join(dir, 'policy.yaml'),
  '--environment',
  environment,
  '--key',
  join(dir, 'gate.pem'),
  '--verify-key',
  join(dir, 'builder.pub'),
  ...extra,
];

/** Exit 1 with nothing appended. */
async function refused(path: string, code?: string): Promise<void> {
  const before = await readFile(path);
  const result = await sathos(args(path, 'production', ['--approved-by', 'alice']));
  assert.equal(result.code, 1, JSON.stringify(result.json));
  assert.equal(result.json.allowed, false);
  if (code !== undefined) assert.equal(result.json.code, code);
  assert.deepEqual(await readFile(path), before, 'nothing appended');
}

/** Exit 1 with the denial appended and the failing rule named. */
async function denied(path: string, run: Run, rule: string): Promise<void> {
  assert.equal(run.code, 1, JSON.stringify(run.json));
  assert.equal(run.json.code, 'POLICY_DENIED');
  const results = (run.json.denied as { results: { id: string }[] }).results.map((r) => r.id);
  assert.ok(results.includes(rule), results.join(', '));
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 6, 'the denied decision and its summary were appended');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sathos-gate-'));
  await writeFile(join(dir, 'app.tar'), APP_BYTES);
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  await writeFile(join(dir, 'gate.pem'), gateKeys.privateKeyPem);
  await writeFile(join(dir, 'gate.pub'), gateKeys.publicKeyPem);
  await writeFile(join(dir, 'builder.pub'), builder.publicKeyPem);
});

void describe('sathos gate', () => {
  void it('allows the honest chain, appends the decision, and the chain verifies up to it', async () => {
    const path = await chain();
    const result = await sathos(args(path, 'production', ['--approved-by', 'alice']));
    assert.equal(result.code, 0, JSON.stringify(result.json));
    assert.equal(result.json.allowed, true);
    const summary = result.json.summary as { verificationResult: string; inputAttestations: [] };
    assert.equal(summary.verificationResult, 'PASSED');
    assert.equal(summary.inputAttestations.length, 4);
    const verified = await sathos([
      'verify-chain',
      path,
      '--artifact',
      join(dir, 'app.tar'),
      '--require-stage',
      'source',
      '--require-stage',
      'build',
      '--require-stage',
      'test',
      '--require-stage',
      'scan',
      '--require-stage',
      'decision',
      '--key',
      join(dir, 'builder.pub'),
      '--key',
      join(dir, 'gate.pub'),
    ]);
    assert.equal(verified.code, 0, JSON.stringify(verified.json));
  });

  void it('attack: a record altered after signing — exit 1, nothing appended', async () => {
    const path = await chain();
    const text = await readFile(path, 'utf8');
    const lines = text.trim().split('\n');
    const bundle = JSON.parse(lines[1] ?? '') as { dsseEnvelope: { payload: string } };
    const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64')
      .toString()
      .replace(SHA, 'f'.repeat(64));
    bundle.dsseEnvelope.payload = Buffer.from(statement).toString('base64');
    lines[1] = JSON.stringify(bundle);
    await writeFile(path, `${lines.join('\n')}\n`);
    await refused(path, 'SIGNATURE_INVALID');
  });

  void it('attack: a required stage removed — exit 1, nothing appended', async () => {
    const path = await chain();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    await writeFile(path, `${lines.slice(0, 3).join('\n')}\n`);
    await refused(path, 'INCOMPLETE_CHAIN');
  });

  void it('attack: a record of another run spliced in — exit 1, nothing appended', async () => {
    const path = await chain();
    const other = (await readFile(await chain('8'), 'utf8')).trim().split('\n');
    await writeFile(path, `${await readFile(path, 'utf8')}${other.at(-1) ?? ''}\n`);
    await refused(path);
  });

  void it('denies an environment the policy does not declare, a freeze, a missing approval', async () => {
    const moon = await chain();
    await denied(moon, await sathos(args(moon, 'moon')), 'sathos:environment');
    const frozen = await chain();
    await denied(frozen, await sathos(args(frozen, 'frozen')), 'sathos:change-window');
    const unapproved = await chain();
    await denied(unapproved, await sathos(args(unapproved)), 'sathos:approvals');
  });

  void it('exit 2 with nothing appended when the input is unusable', async () => {
    const path = await chain();
    const before = await readFile(path);
    const noPolicy = await sathos(
      args(path).filter((a, i, all) => a !== '--policy' && all[i - 1] !== '--policy'),
    );
    assert.equal(noPolicy.code, 2);
    assert.match(String(noPolicy.json.reason), /--policy/);
    const badLogin = await sathos([...args(path), '--approved-by', 'alice\nbob']);
    assert.equal(badLogin.code, 2, JSON.stringify(badLogin.json));
    assert.match(String(badLogin.json.reason), /not a GitHub login/);
    const noKey = await sathos([...args(path), '--key', join(dir, 'absent.pem')]);
    assert.equal(noKey.code, 2, JSON.stringify(noKey.json));
    assert.deepEqual(await readFile(path), before);
  });
});
