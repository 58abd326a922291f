// What the deploy gate's decision costs: gateDeploy over a 10-record chain (9 records handed to it —
// source, build, test ×6, scan — and the decision it signs and appends), under a policy with a
// change window and a required approval. Key-signed: against the same 9 bundles verified by our
// bundle verifier alone. Keyless (Fulcio certificates, Rekor entries from the loopback stand-ins):
// against plain @sigstore/verify over the same 9 bundles; the gate signs its decision with a key
// there, so the row measures verifying and deciding, not a round trip to Fulcio and Rekor.
import {
  MemoryChainStore,
  createBundleVerifier,
  gateDeploy,
  generateSigningKeyPair,
  keySigner,
  keyTrust,
  keylessSigner,
  parseChainText,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  recordStep,
  rootChoosingVerifier,
  sha256Hex,
  signStatement,
  trustFromJSON,
  type Policy,
  type RunBinding,
  type StepPorts,
  type StepSigner,
} from '@sathos/core';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { githubActionsClaims, startSigstoreStandIn, subjectAlternativeName } from '@sathos/testkit';
import { measure, ratio, type BenchRow } from './lib.js';

const TARGET = 3;
const OPTIONS = { minIterations: 10, minMillis: 500 };
const RUN: RunBinding = {
  repository: 'bench/app',
  workflowRef: 'bench/app/.github/workflows/release.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};
const SHA = sha256Hex('the bench artifact');
const APP = [{ name: 'app.tar', digest: { sha256: SHA } }];
const ARTIFACTS = [{ name: 'app.tar', digests: [{ algorithm: 'sha256' as const, hex: SHA }] }];
/** Tuesday 10:00 UTC: inside the window. */
const OPEN = new Date('2026-06-02T10:00:00Z');

const STAGES = ['source', 'build', 'test', 'scan', 'decision', 'deploy'];

/** The bench policy: `identity` signs every stage before the decision, the gate's key the rest. */
function benchPolicy(identity: string, gateKeyId: string): Policy {
  const rule = (s: string) =>
    ['decision', 'deploy'].includes(s) ? `{ keyId: "${gateKeyId}" }` : identity;
  return parsePolicy(
    `apiVersion: sathos.dev/v1
kind: Policy
stages: [${STAGES.join(', ')}]
identities:
${STAGES.map((s) => `  ${s}: [${rule(s)}]`).join('\n')}
environments:
  production:
    requiredStages: [source, build, test, scan, decision]
    changeWindows: { allow: [{ days: [mon, tue, wed, thu, fri], hours: "08:00-18:00" }] }
    approvals: { required: 1 }
`,
    'policy.yaml',
  );
}

function keyStepSigner(privateKeyPem: string): StepSigner & { keyId: string } {
  const signer = keySigner({ privateKeyPem });
  return {
    keyId: signer.keyId,
    sign: (s) => signStatement(s, signer),
    actor: { kind: 'key', keyId: signer.keyId },
  };
}

/** Records the 9 records the gate is handed; returns the chain's text. */
async function handedChain(policy: Policy, ports: StepPorts): Promise<string> {
  const store = new MemoryChainStore();
  const at = { ...ports, store };
  const source = [{ name: 'git+bench/app', digest: { gitCommit: RUN.commit } }];
  await recordStep({ stage: 'source', subjects: source, run: RUN, policy }, at);
  for (const stage of ['build', 'test', 'test', 'test', 'test', 'test', 'test', 'scan'])
    await recordStep({ stage, subjects: APP, run: RUN, policy }, at);
  return store.text();
}

/** A timed gate decision over the handed chain, checked to allow once before timing. */
async function timedGate(policy: Policy, handed: string, ports: StepPorts) {
  const decide = () =>
    gateDeploy(
      {
        environment: 'production',
        policy,
        artifacts: ARTIFACTS,
        approvals: [{ by: 'alice', source: 'bench' }],
        verifierId: 'https://sathos.dev/bench',
      },
      { ...ports, store: new MemoryChainStore(handed), clock: () => OPEN },
    );
  const first = await decide();
  if (!first.decision.allowed || first.relied.records.length !== 9)
    throw new Error('the bench chain was not allowed whole');
  return decide;
}

const ROUNDS = 3;
const medianOf = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/**
 * Ours and the yardstick measured in interleaved rounds, so load from other processes falls on
 * both alike; the median of the per-round ratios, and the median times.
 */
async function paired(ours: () => unknown, yardstick: () => unknown) {
  const ratios: number[] = [];
  const oursNs: number[] = [];
  const yardNs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const y = await measure(yardstick, OPTIONS);
    const o = await measure(ours, OPTIONS);
    ratios.push(ratio(o, y));
    oursNs.push(o.medianNs);
    yardNs.push(y.medianNs);
  }
  return { ratio: medianOf(ratios), oursNs: medianOf(oursNs), yardNs: medianOf(yardNs) };
}

const ms = (ns: number) => Math.round(ns / 1e4) / 100;

async function keySignedRow(): Promise<BenchRow> {
  const gateKeys = generateSigningKeyPair();
  const gateSigner = keyStepSigner(gateKeys.privateKeyPem);
  const keys = generateSigningKeyPair();
  const signer = keyStepSigner(keys.privateKeyPem);
  const policy = benchPolicy(`{ keyId: "${signer.keyId}" }`, gateSigner.keyId);
  const checker = createBundleVerifier(
    publicGoodTrust(),
    keyTrust({
      keys: [
        ...parsePublicKeys(keys.publicKeyPem, 'bench.pub'),
        ...parsePublicKeys(gateKeys.publicKeyPem, 'gate.pub'),
      ],
      rootNamed: false,
    }),
  );
  const handed = await handedChain(policy, {
    store: new MemoryChainStore(),
    signer,
    trust: { checker },
  });
  const decide = await timedGate(policy, handed, {
    store: new MemoryChainStore(),
    signer: gateSigner,
    trust: { checker },
  });
  const lines = parseChainText(handed);
  const m = await paired(decide, () => {
    for (const { bundle } of lines) checker.verify(bundle, {});
  });
  const r = m.ratio;
  return {
    name: 'gate: decision over a 10-record key-signed chain (verify, decide, sign, append)',
    value: ms(m.oursNs),
    unit: 'ms',
    yardstick: `the 9 handed bundles verified alone, ${ms(m.yardNs)} ms`,
    ratio: Math.round(r * 100) / 100,
    target: `< ${TARGET}×`,
    pass: r < TARGET,
  };
}

async function keylessRow(): Promise<BenchRow> {
  const standIn = await startSigstoreStandIn();
  try {
    const claims = githubActionsClaims();
    const san = subjectAlternativeName(claims) ?? '';
    const keyless = keylessSigner({
      identityToken: standIn.issueToken(claims),
      fulcioURL: standIn.fulcioURL,
      rekorURL: standIn.rekorURL,
    });
    const workflow: StepSigner = {
      sign: (s) => signStatement(s, keyless),
      actor: { kind: 'certificate', issuer: String(claims.iss), subject: san },
    };
    const gateKeys = generateSigningKeyPair();
    const gateSigner = keyStepSigner(gateKeys.privateKeyPem);
    const policy = benchPolicy(
      `{ issuer: "${String(claims.iss)}", subject: "${san}" }`,
      gateSigner.keyId,
    );
    const trust = trustFromJSON(standIn.trustedRoot, 'stand-in');
    const checker = rootChoosingVerifier({
      trust,
      ...keyTrust({ keys: parsePublicKeys(gateKeys.publicKeyPem, 'gate.pub'), rootNamed: false }),
    });
    const handed = await handedChain(policy, {
      store: new MemoryChainStore(),
      signer: workflow,
      trust: { checker },
    });
    const decide = await timedGate(policy, handed, {
      store: new MemoryChainStore(),
      signer: gateSigner,
      trust: { checker },
    });
    const { tlog, ctlog, timestamp } = trust.thresholds;
    const plain = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(standIn.trustedRoot)), {
      tlogThreshold: tlog,
      ctlogThreshold: ctlog,
      timestampThreshold: timestamp,
    });
    const lines = parseChainText(handed);
    const m = await paired(decide, () => {
      for (const { bundle } of lines)
        plain.verify(toSignedEntity(bundleFromJSON(bundle)), { subjectAlternativeName: san });
    });
    const r = m.ratio;
    return {
      name: 'gate: decision over a 10-record keyless chain (verify, decide; the decision key-signed)',
      value: ms(m.oursNs),
      unit: 'ms',
      yardstick: `plain @sigstore/verify over the 9 handed bundles, ${ms(m.yardNs)} ms`,
      ratio: Math.round(r * 100) / 100,
      target: `< ${TARGET}×`,
      pass: r < TARGET,
    };
  } finally {
    await standIn.close();
  }
}

export default async function run(): Promise<BenchRow[]> {
  return [await keySignedRow(), await keylessRow()];
}
