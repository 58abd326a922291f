// verify-chain with the gh signer flags over a keyless chain (loopback Fulcio/Rekor/TSA, GitHub
// Actions claims): the right owner, repository and workflow verify every record; a wrong one, or a
// record whose signer lacks the claims, rejects the chain naming the record.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MemoryChainStore,
  createBundleVerifier,
  keylessSigner,
  recordStep,
  sha256Hex,
  signStatement,
  trustFromJSON,
  type RunBinding,
} from '@sathos/core';
import {
  githubActionsClaims,
  startSigstoreStandIn,
  type GitHubRunClaims,
  type SigstoreStandIn,
} from '@sathos/testkit';
import { verifyChainCommand, type VerifyChainOptions } from './verify-chain.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const STAGES = ['source', 'build', 'test'];
const SAN = 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';
const RUN: RunBinding = {
  repository: 'octo-org/octo-repo',
  workflowRef: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
  runId: '42',
  runAttempt: 1,
  commit: '0123456789abcdef0123456789abcdef01234567',
};
const ARTIFACT = 'the app';

void describe('verify-chain with the gh signer flags', () => {
  let standIn: SigstoreStandIn;
  let dir: string;
  let root: string;

  /** A source → build → test chain, each record signed keyless with these run claims. */
  async function chain(name: string, claims: (stage: string) => GitHubRunClaims): Promise<string> {
    const trust = trustFromJSON(standIn.trustedRoot, 'stand-in root');
    const store = new MemoryChainStore();
    const app = [{ name: 'app.tar', digest: { sha256: sha256Hex(ARTIFACT) } }];
    for (const stage of STAGES) {
      const signer = keylessSigner({
        identityToken: standIn.issueToken(githubActionsClaims(claims(stage))),
        fulcioURL: standIn.fulcioURL,
        rekorURL: standIn.rekorURL,
        tsaURL: standIn.tsaURL,
      });
      const ports = {
        store,
        signer: {
          sign: (s: Parameters<typeof signStatement>[0]) => signStatement(s, signer),
          actor: { kind: 'certificate' as const, issuer: ISSUER, subject: SAN },
        },
        trust: {
          checker: createBundleVerifier(trust),
          requirements: {
            stages: STAGES,
            identities: Object.fromEntries(
              STAGES.map((s) => [s, [{ issuer: ISSUER, subjectRegexp: '.+' }]]),
            ),
          },
        },
      };
      const subjects =
        stage === 'source'
          ? [{ name: 'git+octo-org/octo-repo', digest: { gitCommit: RUN.commit } }]
          : app;
      await recordStep({ stage, subjects, run: RUN }, ports);
    }
    const path = join(dir, name);
    await writeFile(path, store.text());
    return path;
  }

  before(async () => {
    standIn = await startSigstoreStandIn();
    dir = await mkdtemp(join(tmpdir(), 'sathos-chain-gh-'));
    root = join(dir, 'trusted_root.json');
    await writeFile(root, JSON.stringify(standIn.trustedRoot));
    await writeFile(join(dir, 'app.tar'), ARTIFACT);
  });
  after(async () => {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  const flags = (path: string, more: Partial<VerifyChainOptions>): VerifyChainOptions => ({
    chain: path,
    artifact: [join(dir, 'app.tar')],
    trustedRoot: root,
    requireStage: STAGES,
    ...more,
  });

  void it('verifies every record with the right owner, repository and workflow', async () => {
    const path = await chain('honest.jsonl', () => ({}));
    const outcome = await verifyChainCommand(
      flags(path, {
        owner: 'octo-org',
        repo: 'octo-org/octo-repo',
        signerWorkflow: 'octo-org/octo-repo/.github/workflows/release.yml',
        denySelfHostedRunners: true,
      }),
    );
    assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
  });

  void it('rejects the chain with a wrong owner, naming what the certificate says', async () => {
    const path = await chain('honest-2.jsonl', () => ({}));
    const outcome = await verifyChainCommand(flags(path, { owner: 'evil-org' }));
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.json.code, 'IDENTITY_MISMATCH');
    assert.match(
      String(outcome.json.reason),
      /expected source repository owner https:\/\/github\.com\/evil-org/,
    );
  });

  void it('rejects a chain whose build was signed on a self-hosted runner', async () => {
    const path = await chain('self-hosted.jsonl', (stage) =>
      stage === 'build' ? { runnerEnvironment: 'self-hosted' } : {},
    );
    const outcome = await verifyChainCommand(
      flags(path, { owner: 'octo-org', denySelfHostedRunners: true }),
    );
    assert.equal(outcome.exitCode, 1);
    assert.match(
      String(outcome.json.reason),
      /line 2.*expected a GitHub-hosted runner, but the certificate says "self-hosted"/,
    );
  });
});
