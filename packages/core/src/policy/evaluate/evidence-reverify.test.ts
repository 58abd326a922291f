// The chain verifier reads the same counts the step read: a chain whose test and scan steps were
// allowed under a permissive policy (JUnit with failures, SARIF with a critical finding) is
// re-evaluated from its signed evidence, and a stricter verifier policy denies exactly those steps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendTransition } from '../../attestation/chain/append.js';
import { MemoryChainStore } from '../../attestation/chain/store.js';
import { verifyChain } from '../../attestation/chain/verify-chain.js';
import { testResultFromJUnit } from '../../attestation/evidence/reports/junit.js';
import { vulnsFromSarif } from '../../attestation/evidence/reports/sarif.js';
import type { ResourceDescriptor, Statement } from '../../attestation/record/statement.js';
import { keySigner, signStatement } from '../../attestation/sign/sign.js';
import { createBundleVerifier } from '../../attestation/verify/verify-bundle.js';
import { digestsOf, sha256Hex } from '../../digest.js';
import { parsePublicKeys } from '../../identity/keys/public-key.js';
import { generateSigningKeyPair } from '../../identity/keys/signing-key.js';
import { publicGoodTrust } from '../../identity/trust/trusted-root.js';
import { parsePolicy } from '../document/document.js';
import { evaluateChainPolicy } from './chain.js';
import { decideStep } from './decide-step.js';
import { decisionRef } from './decision.js';

const keys = generateSigningKeyPair();
const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
const checker = createBundleVerifier(publicGoodTrust(), {
  keys: parsePublicKeys(keys.publicKeyPem, 'key.pub'),
  allowUnloggedKeySignatures: true,
});
const COMMIT = '1f2e3d4c5b6a79880123456789abcdef01234567';
const RUN = {
  repository: 'demo/app',
  workflowRef: 'demo/app/.github/workflows/release.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: COMMIT,
};
const BYTES = Buffer.from('the app');
const APP: ResourceDescriptor = { name: 'app.tar', digest: { sha256: sha256Hex(BYTES) } };
const SOURCE: ResourceDescriptor = { name: 'git+demo/app', digest: { gitCommit: COMMIT } };
const STAGES = ['source', 'build', 'test', 'scan'];

function policy(tests: string, findings: string) {
  return parsePolicy(
    `apiVersion: sathos.dev/v1
kind: Policy
stages: [${STAGES.join(', ')}]
identities:
${STAGES.map((s) => `  ${s}: [{ keyId: "${signer.keyId}" }]`).join('\n')}
rules:
  - id: failed-tests
    stage: test
    expression: '${tests}'
    message: few enough tests failed
  - id: findings
    stage: scan
    expression: '${findings}'
    message: no finding past the threshold
`,
    'policy.yaml',
  );
}
const PERMISSIVE = policy('evidence.tests.failed <= 10', 'evidence.findings.critical <= 5');
const STRICT = policy('evidence.tests.failed == 0', 'evidence.findings.critical == 0');

const text = (s: string) => new TextEncoder().encode(s);
const JUNIT = text(
  '<testsuite name="s"><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>',
);
const SARIF = text(
  JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'deps' } },
        results: [
          { ruleId: 'CVE-1', properties: { 'security-severity': '9.9' }, message: { text: 'x' } },
        ],
      },
    ],
  }),
);

async function chainUnder(p: typeof PERMISSIVE) {
  const store = new MemoryChainStore();
  const steps: [string, ResourceDescriptor, Statement[]][] = [
    ['source', SOURCE, []],
    ['build', APP, []],
    ['test', APP, [testResultFromJUnit([APP], [{ name: 'junit.xml', bytes: JUNIT }])]],
    [
      'scan',
      APP,
      [vulnsFromSarif([APP], [{ name: 's.sarif', bytes: SARIF }], { time: new Date(0) })],
    ],
  ];
  for (const [stage, subject, evidence] of steps) {
    const identity = { kind: 'key', keyId: signer.keyId } as const;
    const chain = await store.read();
    const decision = decideStep({
      policy: p,
      chain,
      stage,
      run: RUN,
      identity,
      subjects: [subject],
      evidence,
    });
    assert.equal(decision.allowed, true, `${stage} allowed under the pipeline's policy`);
    await appendTransition({
      store,
      sign: (s) => signStatement(s, signer),
      stage,
      subjects: [subject],
      run: RUN,
      actor: identity,
      evidence,
      policy: decisionRef(decision),
    });
  }
  const lines = await store.read();
  const verification = verifyChain({
    lines,
    checker,
    requirements: { stages: p.stages, identities: p.identities },
    artifacts: [{ name: 'app.tar', digests: digestsOf(BYTES) }],
  });
  return { verification, lines };
}

void describe('evidence thresholds at chain verification', () => {
  void it('re-evaluates the counts from the signed evidence: a stricter verifier denies', async () => {
    const { verification, lines } = await chainUnder(PERMISSIVE);
    assert.equal(evaluateChainPolicy(PERMISSIVE, verification, lines).allowed, true);
    const strict = evaluateChainPolicy(STRICT, verification, lines);
    assert.equal(strict.allowed, false);
    assert.deepEqual(
      strict.decisions
        .filter((d) => !d.decision.allowed)
        .map((d) => [d.stage, d.decision.results.filter((r) => !r.passed).map((r) => r.id)]),
      [
        ['test', ['failed-tests']],
        ['scan', ['findings']],
      ],
    );
  });
});
