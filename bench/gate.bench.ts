// What the deploy gate's decision costs: gateDeploy over a 10-record key-signed chain (9 records
// handed to it — source, build, test ×6, scan — and the decision it signs and appends), under a
// policy with a change window and a required approval; against verifying the same 9 bundles with
// the bundle verifier alone, measured in the same run. The gate adds the chain checks, the policy
// over every record so far, and signing two statements (the summary and the record).
import {
  MemoryChainStore,
  createBundleVerifier,
  gateDeploy,
  generateSigningKeyPair,
  keySigner,
  keyTrust,
  parseChainText,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  recordStep,
  sha256Hex,
  signStatement,
  type RunBinding,
  type StepPorts,
} from '@sathos/core';
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

export default async function run(): Promise<BenchRow[]> {
  const keys = generateSigningKeyPair();
  const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
  const stages = ['source', 'build', 'test', 'scan', 'decision', 'deploy'];
  const policy = parsePolicy(
    `apiVersion: sathos.dev/v1
kind: Policy
stages: [${stages.join(', ')}]
identities:
${stages.map((s) => `  ${s}: [{ keyId: "${signer.keyId}" }]`).join('\n')}
environments:
  production:
    requiredStages: [source, build, test, scan, decision]
    changeWindows: { allow: [{ days: [mon, tue, wed, thu, fri], hours: "08:00-18:00" }] }
    approvals: { required: 1 }
`,
    'policy.yaml',
  );
  const checker = createBundleVerifier(
    publicGoodTrust(),
    keyTrust({ keys: parsePublicKeys(keys.publicKeyPem, 'bench.pub'), rootNamed: false }),
  );
  const store = new MemoryChainStore();
  const ports: StepPorts = {
    store,
    signer: { sign: (s) => signStatement(s, signer), actor: { kind: 'key', keyId: signer.keyId } },
    trust: { checker },
  };
  const source = [{ name: 'git+bench/app', digest: { gitCommit: RUN.commit } }];
  await recordStep({ stage: 'source', subjects: source, run: RUN, policy }, ports);
  for (const stage of ['build', 'test', 'test', 'test', 'test', 'test', 'test', 'scan'])
    await recordStep({ stage, subjects: APP, run: RUN, policy }, ports);
  const handed = store.text();
  const lines = parseChainText(handed);

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
  const gate = await measure(decide, OPTIONS);
  const bundles = await measure(() => {
    for (const { bundle } of lines) checker.verify(bundle, {});
  }, OPTIONS);
  const r = ratio(gate, bundles);
  return [
    {
      name: 'gate: decision over a 10-record key-signed chain (verify, decide, sign, append)',
      value: Math.round(gate.medianNs / 1e4) / 100,
      unit: 'ms',
      yardstick: `the 9 handed bundles verified alone, ${Math.round(bundles.medianNs / 1e4) / 100} ms`,
      ratio: Math.round(r * 100) / 100,
      target: `< ${TARGET}×`,
      pass: r < TARGET,
    },
  ];
}
