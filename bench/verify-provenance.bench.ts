// verify-provenance's two costs. (1) Verifying a 10-record keyless chain (source, build, test ×7,
// scan — signed through the loopback Fulcio/Rekor/TSA stand-ins with GitHub Actions claims) with
// core's verifyChainWithPolicy and the gh identity checks on every bundle, against plain
// @sigstore/verify over the same ten bundles, both verifiers built once. (2) The action's cold
// start: `node actions/verify-provenance/dist/index.js` with no inputs (it fails naming the missing
// input) against `node -e 0`, each a fresh process.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import {
  MemoryChainStore,
  createBundleVerifier,
  githubClaimRequirements,
  keylessSigner,
  parseChainText,
  recordStep,
  rootChoosingVerifier,
  sha256Hex,
  signStatement,
  trustFromJSON,
  verifyChainWithPolicy,
  type RunBinding,
} from '@sathos/core';
import { githubActionsClaims, startSigstoreStandIn } from '@sathos/testkit';
import { measure, ratio, type BenchRow } from './lib.js';

const CHAIN_TARGET = 1.5;
/**
 * A bundled action is one ~6 MB file (sigstore-js, protobuf specs, CEL, YAML) parsed and evaluated
 * at start; verify-commit-signature's bundle starts alike. The goal bounds that overhead.
 */
const START_TARGET = 8;
const OPTIONS = { minIterations: 10, minMillis: 500 };
const SPAWN_OPTIONS = { minIterations: 5, minMillis: 1500 };
const ISSUER = 'https://token.actions.githubusercontent.com';
const SAN = 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';
const RUN: RunBinding = {
  repository: 'octo-org/octo-repo',
  workflowRef: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
  runId: '42',
  runAttempt: 1,
  commit: '0123456789abcdef0123456789abcdef01234567',
};
const SHA = sha256Hex('the bench artifact');
const STAGES = ['source', 'build', 'test', 'scan'];
const DIST = resolve(import.meta.dirname, '../actions/verify-provenance/dist/index.js');

function spawnNode(args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [...args], { env: { PATH: process.env.PATH ?? '' } }, (error) => {
      // The action exits 1 on purpose (no inputs); only a failure to start is an error here.
      if (error !== null && typeof error.code !== 'number') fail(new Error(error.message));
      else done();
    });
  });
}

async function keylessChain(): Promise<{
  text: string;
  root: unknown;
  close: () => Promise<void>;
}> {
  const standIn = await startSigstoreStandIn();
  const signer = keylessSigner({
    identityToken: () => Promise.resolve(standIn.issueToken(githubActionsClaims())),
    fulcioURL: standIn.fulcioURL,
    rekorURL: standIn.rekorURL,
    tsaURL: standIn.tsaURL,
  });
  const trust = trustFromJSON(standIn.trustedRoot, 'stand-in root');
  const store = new MemoryChainStore();
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
        identities: Object.fromEntries(STAGES.map((s) => [s, [{ issuer: ISSUER, subject: SAN }]])),
      },
    },
  };
  const app = [{ name: 'app.tar', digest: { sha256: SHA } }];
  await recordStep(
    {
      stage: 'source',
      subjects: [{ name: 'git+octo-org/octo-repo', digest: { gitCommit: RUN.commit } }],
      run: RUN,
    },
    ports,
  );
  for (const stage of ['build', ...Array<string>(7).fill('test'), 'scan']) {
    await recordStep({ stage, subjects: app, run: RUN }, ports);
  }
  return { text: store.text(), root: standIn.trustedRoot, close: () => standIn.close() };
}

async function chainRow(): Promise<BenchRow> {
  const chain = await keylessChain();
  try {
    const lines = parseChainText(chain.text);
    if (lines.length !== 10) throw new Error(`the bench chain has ${lines.length} records, not 10`);
    const trust = trustFromJSON(chain.root, 'stand-in root');
    const checker = rootChoosingVerifier({
      trust,
      claims: githubClaimRequirements({ owner: 'octo-org', repo: 'octo-org/octo-repo' }),
    });
    const rule = { issuer: ISSUER, subjectRegexp: '.+' };
    const verify = () =>
      verifyChainWithPolicy({
        lines,
        checker,
        requirements: {
          stages: STAGES,
          identities: Object.fromEntries(STAGES.map((s) => [s, [rule]])),
          requireTerminal: false,
        },
        artifacts: [{ name: 'app.tar', digests: [{ algorithm: 'sha256', hex: SHA }] }],
        verifierId: 'https://sathos.dev/bench',
        clock: () => new Date(),
        source: 'bench chain',
      });
    verify();
    const plain = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(chain.root)), {});
    const entities = lines.map(({ bundle }) => bundleFromJSON(bundle));
    const ours = await measure(verify, OPTIONS);
    const yardstick = await measure(() => {
      for (const bundle of entities) plain.verify(toSignedEntity(bundle));
    }, OPTIONS);
    const r = ratio(ours, yardstick);
    return {
      name: 'verify-provenance: 10-record keyless chain, gh identity checks on every bundle',
      value: Math.round(ours.medianNs / 1e4) / 100,
      unit: 'ms',
      yardstick: `@sigstore/verify alone over the 10 bundles, ${Math.round(yardstick.medianNs / 1e4) / 100} ms`,
      ratio: Math.round(r * 100) / 100,
      target: `< ${CHAIN_TARGET}×`,
      pass: r < CHAIN_TARGET,
    };
  } finally {
    await chain.close();
  }
}

async function coldStartRow(): Promise<BenchRow> {
  const action = await measure(() => spawnNode([DIST]), SPAWN_OPTIONS);
  const bare = await measure(() => spawnNode(['-e', '0']), SPAWN_OPTIONS);
  const r = ratio(action, bare);
  return {
    name: 'verify-provenance: action cold start (dist/index.js, no inputs → ::error::)',
    value: Math.round(action.medianNs / 1e4) / 100,
    unit: 'ms',
    yardstick: `node -e 0, ${Math.round(bare.medianNs / 1e4) / 100} ms`,
    ratio: Math.round(r * 100) / 100,
    target: `< ${START_TARGET}×`,
    pass: r < START_TARGET,
  };
}

export default async function run(): Promise<BenchRow[]> {
  return [await chainRow(), await coldStartRow()];
}
