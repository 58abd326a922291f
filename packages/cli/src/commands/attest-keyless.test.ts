// `sathos attest --keyless` against the loopback Fulcio, Rekor and TSA stand-ins: the OIDC token
// from a file buys the certificate, the record's actor is the identity the token predicts, and
// verify-chain accepts the chain under a policy naming that identity with the stand-ins' root.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunBinding } from '@sathos/core';
import {
  createBundleVerifier,
  keylessSigner,
  parsePolicy,
  recordStep,
  signStatement,
  trustFromJSON,
} from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import {
  githubActionsClaims,
  startSigstoreStandIn,
  verifyWithSigstoreJs,
  type SigstoreStandIn,
} from '@sathos/testkit';
import { runCli } from '../program.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const SAN = 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';
const RUN: RunBinding = {
  repository: 'octo-org/octo-repo',
  workflowRef: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
  runId: '9',
  runAttempt: 1,
  commit: '0123456789abcdef0123456789abcdef01234567',
};
const POLICY = [
  'apiVersion: sathos.dev/v1',
  'kind: Policy',
  'stages: [source, build]',
  'identities:',
  `  source: [{ issuer: "${ISSUER}", subject: "${SAN}" }]`,
  `  build: [{ issuer: "${ISSUER}", subject: "${SAN}" }]`,
].join('\n');

async function sathos(
  args: readonly string[],
): Promise<{ code: number; json: Record<string, unknown> }> {
  let out = '';
  const code = await runCli([...args, '--json'], { out: (t) => (out += t), err: () => undefined });
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

void describe('sathos attest --keyless', () => {
  let standIn: SigstoreStandIn;
  let dir: string;
  before(async () => {
    standIn = await startSigstoreStandIn();
    dir = await mkdtemp(join(tmpdir(), 'sathos-attest-keyless-'));
  });
  after(async () => {
    await standIn.close();
  });

  void it('signs with the certificate the token buys and verify-chain accepts it', async () => {
    const root = join(dir, 'trusted_root.json');
    await writeFile(root, JSON.stringify(standIn.trustedRoot));
    const token = join(dir, 'token');
    await writeFile(token, `${standIn.issueToken(githubActionsClaims())}\n`);
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, POLICY);
    await writeFile(join(dir, 'app.tar'), 'the app');
    const chain = join(dir, 'chain.jsonl');
    const signer = keylessSigner({
      identityToken: standIn.issueToken(githubActionsClaims()),
      fulcioURL: standIn.fulcioURL,
      rekorURL: standIn.rekorURL,
      tsaURL: standIn.tsaURL,
    });
    const trust = trustFromJSON(standIn.trustedRoot, 'stand-in root');
    await recordStep(
      {
        stage: 'source',
        subjects: [{ name: 'git+octo-org/octo-repo', digest: { gitCommit: RUN.commit } }],
        run: RUN,
        policy: parsePolicy(POLICY, policy),
      },
      {
        store: new JsonlFileStore(chain),
        signer: {
          sign: (s) => signStatement(s, signer),
          actor: { kind: 'certificate', issuer: ISSUER, subject: SAN },
        },
        trust: { checker: createBundleVerifier(trust) },
      },
    );
    const build = await sathos([
      'attest',
      '--stage',
      'build',
      '--chain',
      chain,
      '--policy',
      policy,
      '--trusted-root',
      root,
      '--keyless',
      '--fulcio-url',
      standIn.fulcioURL,
      '--rekor-url',
      standIn.rekorURL,
      '--tsa-url',
      standIn.tsaURL,
      '--oidc-token-file',
      token,
      '--workspace',
      dir,
      '--subject-path',
      'app.tar',
    ]);
    assert.equal(build.code, 0, String(build.json.reason));
    assert.match(String(build.json.reason), new RegExp(`signed by keyless: ${SAN}`));
    const verified = await sathos([
      'verify-chain',
      chain,
      '--artifact',
      join(dir, 'app.tar'),
      '--policy',
      policy,
      '--trusted-root',
      root,
    ]);
    assert.equal(verified.code, 0, String(verified.json.reason));
    const bundles = (await readFile(chain, 'utf8')).trim().split('\n');
    // Plain sigstore-js, with the stand-ins' root, accepts every bundle the step wrote.
    for (const line of bundles) {
      verifyWithSigstoreJs(JSON.parse(line), {
        trustedRoot: standIn.trustedRoot,
        subjectAlternativeName: SAN,
        issuer: ISSUER,
      });
    }
    assert.equal(
      (await readFile(chain, 'utf8')).trim().split('\n').length,
      3,
      'source, provenance, build',
    );
  });
});
