// `sathos verify-chain` through runCli: artifacts bound, by file or by digest, and the deploy
// environment demanded — each attack built as a real key-signed chain and seen rejected.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Policy, ResourceDescriptor, RunBinding } from '@sathos/core';
import {
  appendTransition,
  decideStep,
  decisionRef,
  generateSigningKeyPair,
  keySigner,
  parsePolicy,
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
const COMMIT = 'c0ffee0000000000000000000000000000000001';
const RUN: RunBinding = {
  repository: 'demo/app',
  workflowRef: 'demo/app/.github/workflows/release.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: COMMIT,
};
const APP_BYTES = Buffer.from('the app that was built');
const hex = (alg: string, bytes: Buffer): string => createHash(alg).update(bytes).digest('hex');
const APP: ResourceDescriptor = { name: 'app.tar', digest: { sha256: hex('sha256', APP_BYTES) } };
const SOURCE: ResourceDescriptor = { name: 'git+demo/app', digest: { gitCommit: COMMIT } };
const STAGES = ['source', 'build', 'test', 'scan', 'decision', 'deploy'];

function policyText(stages: readonly string[], environments = ''): string {
  return [
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    `stages: [${stages.join(', ')}]`,
    'identities:',
    ...stages.map((s) => `  ${s}: [{ keyId: "${signer.keyId}" }]`),
    environments,
  ].join('\n');
}

let dir: string;
let publicKey: string;
let app: string;
let stranger: string;

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Appends each stage as a SATHOS step does: decided under `policy` (when given), then signed. */
async function chain(
  name: string,
  stages: readonly string[],
  options: { policy?: Policy; environment?: string } = {},
): Promise<string> {
  const store = new JsonlFileStore(join(dir, name));
  for (const stage of stages) {
    const subjects = stage === 'source' ? [SOURCE] : [APP];
    const observations =
      stage === 'deploy' && options.environment !== undefined
        ? { environment: options.environment }
        : undefined;
    const decision =
      options.policy === undefined
        ? undefined
        : decideStep({
            policy: options.policy,
            chain: await store.read(),
            stage,
            run: RUN,
            identity: { kind: 'key', keyId: signer.keyId },
            subjects,
            ...(observations === undefined ? {} : { observations }),
          });
    await appendTransition({
      store,
      sign: (s) => signStatement(s, signer),
      stage,
      subjects,
      run: RUN,
      actor: { kind: 'key', keyId: signer.keyId },
      terminal: stage === 'deploy',
      ...(observations === undefined ? {} : { observations }),
      ...(decision === undefined ? {} : { policy: decisionRef(decision) }),
    });
  }
  return store.location;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sathos-cli-verify-chain-'));
  publicKey = await file('signing-key.pub', keys.publicKeyPem);
  app = await file('app.tar', APP_BYTES);
  stranger = await file('anything.bin', 'a file this chain never saw');
});

void describe('sathos verify-chain', () => {
  void describe('binds every artifact to a verified record', () => {
    void it('rejects any file when only the source stage is required (--require-stage)', async () => {
      const sourceOnly = await chain('source-only.jsonl', ['source']);
      const run = await sathos([
        'verify-chain',
        sourceOnly,
        '--require-stage',
        'source',
        '--key',
        publicKey,
        '--artifact',
        stranger,
      ]);
      assert.equal(run.code, 1);
      assert.equal(run.json.code, 'SUBJECT_MISMATCH');
      assert.match(String(run.json.reason), /anything.bin is not a subject of any record/);
      assert.equal(run.json.summary, undefined, 'no VSA for an unbound artifact');
    });

    void it('rejects any file when the policy requires only the source stage', async () => {
      const text = policyText(['source']);
      const policy = await file('source-only.yaml', text);
      const sourceOnly = await chain('source-only-policy.jsonl', ['source'], {
        policy: parsePolicy(text, policy),
      });
      const run = await sathos([
        'verify-chain',
        sourceOnly,
        '--policy',
        policy,
        '--key',
        publicKey,
        '--artifact',
        stranger,
      ]);
      assert.equal(run.code, 1);
      assert.equal(run.json.code, 'SUBJECT_MISMATCH');
    });

    void it('verifies the built artifact and names it alone in the VSA', async () => {
      const full = await chain('full.jsonl', STAGES);
      const run = await sathos(['verify-chain', full, '--key', publicKey, '--artifact', app]);
      assert.equal(run.code, 0, JSON.stringify(run.json));
      const vsa = run.json.summary as { subject: ResourceDescriptor[] };
      assert.deepEqual(vsa.subject, [APP]);
    });
  });

  void describe('--digest', () => {
    let full: string;
    before(async () => {
      full = await chain('digest.jsonl', STAGES);
    });

    void it('verifies an artifact named by its sha256, without its bytes', async () => {
      const digest = `sha256:${hex('sha256', APP_BYTES)}`;
      const run = await sathos(['verify-chain', full, '--key', publicKey, '--digest', digest]);
      assert.equal(run.code, 0, JSON.stringify(run.json));
      const vsa = run.json.summary as { subject: ResourceDescriptor[] };
      assert.deepEqual(vsa.subject, [{ name: digest, digest: APP.digest }]);
    });

    void it('rejects a digest no record names (SUBJECT_MISMATCH)', async () => {
      const digest = `sha256:${'0'.repeat(64)}`;
      const run = await sathos(['verify-chain', full, '--key', publicKey, '--digest', digest]);
      assert.equal(run.code, 1);
      assert.equal(run.json.code, 'SUBJECT_MISMATCH');
    });

    void it('exits 2 on a malformed digest, and when no artifact is named at all', async () => {
      const bad = await sathos(['verify-chain', full, '--key', publicKey, '--digest', 'md5:abc']);
      assert.equal(bad.code, 2);
      assert.equal(bad.json.code, 'USAGE');
      const none = await sathos(['verify-chain', full, '--key', publicKey]);
      assert.equal(none.code, 2);
      assert.match(String(none.json.reason), /--artifact <path> or --digest/);
    });
  });

  void describe('--environment', () => {
    let production: string;
    let nowhere: string;
    before(async () => {
      production = await chain('production.jsonl', STAGES, { environment: 'production' });
      nowhere = await chain('nowhere.jsonl', STAGES);
    });

    const verify = (path: string, environment: string, extra: string[] = []) =>
      sathos([
        'verify-chain',
        path,
        '--key',
        publicKey,
        '--artifact',
        app,
        '--environment',
        environment,
        ...extra,
      ]);

    void it('verifies a deploy record that names that environment', async () => {
      const run = await verify(production, 'production');
      assert.equal(run.code, 0, JSON.stringify(run.json));
    });

    void it('rejects a deploy to another environment (ENVIRONMENT_MISMATCH)', async () => {
      const run = await verify(production, 'staging');
      assert.equal(run.code, 1);
      assert.equal(run.json.code, 'ENVIRONMENT_MISMATCH');
    });

    void it('rejects a deploy record that names no environment (ENVIRONMENT_MISMATCH)', async () => {
      const run = await verify(nowhere, 'production');
      assert.equal(run.code, 1);
      assert.equal(run.json.code, 'ENVIRONMENT_MISMATCH');
    });

    void it('exits 2 when the policy does not declare the environment', async () => {
      const policy = await file(
        'environments.yaml',
        policyText(STAGES, 'environments:\n  production:\n'),
      );
      const run = await sathos([
        'verify-chain',
        production,
        '--policy',
        policy,
        '--key',
        publicKey,
        '--artifact',
        app,
        '--environment',
        'moon',
      ]);
      assert.equal(run.code, 2);
      assert.equal(run.json.code, 'USAGE');
      assert.match(String(run.json.reason), /moon is not declared by the policy/);
    });
  });
});
