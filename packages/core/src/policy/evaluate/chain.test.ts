import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendTransition } from '../../attestation/chain/append.js';
import { MemoryChainStore } from '../../attestation/chain/store.js';
import type { ChainLine } from '../../attestation/chain/chain.js';
import { digestsOf, sha256Hex } from '../../digest.js';
import { testResult } from '../../attestation/evidence/predicates.js';
import type { PolicyDecisionRef, RunBinding } from '../../attestation/record/transition.js';
import { keySigner, signStatement } from '../../attestation/sign/sign.js';
import type { ResourceDescriptor, Statement } from '../../attestation/record/statement.js';
import { createBundleVerifier } from '../../attestation/verify/verify-bundle.js';
import type { ChainVerification } from '../../attestation/chain/verify-chain.js';
import { verifyChain } from '../../attestation/chain/verify-chain.js';
import { SathosError } from '../../errors.js';
import { parsePublicKeys } from '../../identity/keys/public-key.js';
import { generateSigningKeyPair } from '../../identity/keys/signing-key.js';
import { publicGoodTrust } from '../../identity/trust/trusted-root.js';
import { decideStep } from './decide-step.js';
import { decisionRef } from './decision.js';
import { PolicyDeniedError, assertChainPolicy, evaluateChainPolicy } from './chain.js';
import type { Policy } from '../document/document.js';
import { parsePolicy } from '../document/document.js';

const keys = generateSigningKeyPair();
const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
const checker = createBundleVerifier(publicGoodTrust(), {
  keys: parsePublicKeys(keys.publicKeyPem, 'key.pub'),
  allowUnloggedKeySignatures: true,
});
const COMMIT = '1f2e3d4c5b6a79880123456789abcdef01234567';
const RUN: RunBinding = {
  repository: 'demo/app',
  workflowRef: 'demo/app/.github/workflows/release.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: COMMIT,
};
const BYTES = Buffer.from('the app');
const APP: ResourceDescriptor = { name: 'app.tar', digest: { sha256: sha256Hex(BYTES) } };
const SOURCE: ResourceDescriptor = { name: 'git+demo/app', digest: { gitCommit: COMMIT } };

function policyText(testRule = "evidence.testResult.result == 'PASSED'"): string {
  return `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, deploy]
identities:
${['source', 'build', 'test', 'deploy'].map((s) => `  ${s}: [{ keyId: "${signer.keyId}" }]`).join('\n')}
rules:
  - id: tests-passed
    stage: test
    expression: "${testRule}"
    message: the test stage must pass
  - id: deploy-after-test
    stage: deploy
    expression: "records.exists(r, r.stage == 'test' && r.policy.decision == 'allow')"
    message: deploy only after an allowed test
environments:
  prod: { requiredStages: [source, build, test] }
`;
}
const POLICY = parsePolicy(policyText(), 'policy.yaml');

interface Step {
  readonly stage: string;
  readonly subjects: readonly ResourceDescriptor[];
  readonly evidence?: readonly Statement[];
  readonly observations?: Record<string, unknown>;
  readonly terminal?: boolean;
  /** Replaces the honest decision (a step that lies about, or skips, its evaluation). */
  readonly policy?: PolicyDecisionRef | null;
}

const honest = (failed: string[] = []): Step[] => [
  { stage: 'source', subjects: [SOURCE] },
  { stage: 'build', subjects: [APP] },
  { stage: 'test', subjects: [APP], evidence: [testResult([APP], { passed: ['t'], failed })] },
  { stage: 'deploy', subjects: [APP], observations: { environment: 'prod' }, terminal: true },
];

/** A step that records no observations: its deploy names no environment. */
const withoutObservations = (s: Step): Step => ({
  stage: s.stage,
  subjects: s.subjects,
  ...(s.evidence === undefined ? {} : { evidence: s.evidence }),
  ...(s.terminal === undefined ? {} : { terminal: s.terminal }),
  ...(s.policy === undefined ? {} : { policy: s.policy }),
});

/** Runs the steps as SATHOS steps do: decide, then append with the decision. */
async function build(
  steps: readonly Step[],
): Promise<{ verification: ChainVerification; lines: ChainLine[] }> {
  const store = new MemoryChainStore();
  for (const step of steps) {
    const decision = decideStep({
      policy: POLICY,
      chain: await store.read(),
      stage: step.stage,
      run: RUN,
      identity: { kind: 'key', keyId: signer.keyId },
      subjects: step.subjects,
      ...(step.evidence === undefined ? {} : { evidence: step.evidence }),
      ...(step.observations === undefined ? {} : { observations: step.observations }),
    });
    const policy = step.policy === undefined ? decisionRef(decision) : step.policy;
    await appendTransition({
      store,
      sign: (s) => signStatement(s, signer),
      stage: step.stage,
      subjects: step.subjects,
      run: RUN,
      actor: { kind: 'key', keyId: signer.keyId },
      ...(step.evidence === undefined ? {} : { evidence: step.evidence }),
      ...(step.observations === undefined ? {} : { observations: step.observations }),
      ...(step.terminal === undefined ? {} : { terminal: step.terminal }),
      ...(policy === null ? {} : { policy }),
    });
  }
  const lines = await store.read();
  const verification = verifyChain({
    lines,
    checker,
    requirements: { stages: POLICY.stages, identities: POLICY.identities },
    artifacts: [{ name: 'app.tar', digests: digestsOf(BYTES) }],
  });
  return { verification, lines };
}

const deniedAt = (policy: Policy, chain: { verification: ChainVerification; lines: ChainLine[] }) =>
  evaluateChainPolicy(policy, chain.verification, chain.lines)
    .decisions.filter((d) => !d.decision.allowed)
    .map((d) => [d.stage, d.decision.results.filter((r) => !r.passed).map((r) => r.id)]);

void describe('evaluateChainPolicy', () => {
  void it('re-evaluates every record to the decision its step recorded', async () => {
    const chain = await build(honest());
    const evaluation = assertChainPolicy(POLICY, chain.verification, chain.lines);
    assert.equal(evaluation.allowed, true);
    assert.deepEqual(
      evaluation.decisions.map((d) => d.stage),
      ['source', 'build', 'test', 'deploy'],
    );
    for (const d of evaluation.decisions) assert.deepEqual(decisionRef(d.decision), d.recorded);
    const deploy = evaluation.decisions.at(-1)?.decision;
    assert.equal(deploy?.environment, 'prod');
    assert.deepEqual(
      deploy.results.map((r) => r.id),
      ['deploy-after-test'],
    );
  });

  void it('gives the whole chain one time budget, not a fresh one per record', async () => {
    const chain = await build(honest());
    // A clock that moves 100 ms at each reading; the chain has 150 ms in all. A fresh budget per
    // record would give the deploy its own 150 ms; the shared one has run out when it is decided.
    let now = 0;
    const clock = (): number => (now += 100);
    const evaluation = evaluateChainPolicy(POLICY, chain.verification, chain.lines, {
      clock,
      timeMs: 150,
    });
    const deploy = evaluation.decisions.at(-1)?.decision;
    assert.equal(deploy?.allowed, false);
    assert.match(
      deploy.results.find((r) => r.id === 'deploy-after-test')?.error ?? '',
      /time limit/,
    );
    const ample = evaluateChainPolicy(POLICY, chain.verification, chain.lines, {
      clock,
      timeMs: 1e9,
    });
    assert.equal(ample.allowed, true);
  });

  void describe('when the chain passes every structural check but not the policy', () => {
    void it('rejects a step that recorded allow over failing evidence, naming the rule', async () => {
      const steps = honest(['t2']);
      const lie = {
        uri: 'policy.yaml',
        digest: { sha256: POLICY.digest },
        decision: 'allow',
        reasons: [],
      } as const;
      const chain = await build(steps.map((s) => (s.stage === 'test' ? { ...s, policy: lie } : s)));
      assert.deepEqual(deniedAt(POLICY, chain), [['test', ['tests-passed']]]);
      assert.throws(
        () => assertChainPolicy(POLICY, chain.verification, chain.lines),
        (e: unknown) =>
          e instanceof PolicyDeniedError &&
          e.code === 'POLICY_DENIED' &&
          e.message.includes('tests-passed') &&
          e.where === 'chain line 4',
      );
    });

    void it('rejects a step that acted although its decision was deny', async () => {
      // The chain verifier refuses a recorded deny before any policy is re-evaluated.
      await assert.rejects(
        build(honest(['t2'])),
        (e: unknown) =>
          e instanceof SathosError &&
          e.code === 'POLICY_DENIED' &&
          /test step recorded a deny decision.*tests-passed/.test(e.message),
      );
    });

    void it('rejects a record that carries no decision', async () => {
      const chain = await build(
        honest().map((s) => (s.stage === 'build' ? { ...s, policy: null } : s)),
      );
      assert.deepEqual(deniedAt(POLICY, chain), [['build', ['sathos:recorded']]]);
    });

    void it('rejects an honest chain under a stricter policy, naming its rule', async () => {
      const chain = await build(honest());
      const strict = parsePolicy(
        policyText('size(evidence.testResult.passedTests) > 5'),
        'strict.yaml',
      );
      assert.deepEqual(deniedAt(strict, chain), [['test', ['tests-passed']]]);
      assert.throws(
        () => assertChainPolicy(strict, chain.verification, chain.lines),
        (e: unknown) => e instanceof SathosError && e.code === 'POLICY_DENIED',
      );
    });

    void it('rejects a deploy that names no environment, though its step recorded allow', async () => {
      // The attack: with no environment, every `environments:` demand (prod's required stages) and
      // every environment-scoped rule was skipped. The lying step recorded allow anyway.
      const lie = {
        uri: 'policy.yaml',
        digest: { sha256: POLICY.digest },
        decision: 'allow',
        reasons: [],
      } as const;
      const chain = await build(
        honest().map((s) => {
          if (s.stage !== 'deploy') return s;
          return { ...withoutObservations(s), policy: lie };
        }),
      );
      assert.deepEqual(deniedAt(POLICY, chain), [['deploy', ['sathos:environment']]]);
      assert.throws(
        () => assertChainPolicy(POLICY, chain.verification, chain.lines),
        (e: unknown) =>
          e instanceof PolicyDeniedError &&
          /deploy must name the environment it deploys to.*prod/.test(e.message),
      );
    });

    void it('asks a record naming an environment only for the required stages before its own', async () => {
      // prod requires source, build and test: a build naming prod (as a gate's decision names its
      // environment) needs only the source before it; the deploy still needs all three (evaluate.test.ts).
      const chain = await build(
        honest().map((s) =>
          s.stage === 'build' ? { ...s, observations: { environment: 'prod' } } : s,
        ),
      );
      assert.deepEqual(deniedAt(POLICY, chain), []);
    });

    void it('refuses an honest step deploying nowhere under a policy that declares environments', async () => {
      await assert.rejects(
        build(
          honest().map((s) => {
            if (s.stage !== 'deploy') return s;
            return withoutObservations(s);
          }),
        ),
        (e: unknown) =>
          e instanceof SathosError &&
          /deploy step recorded a deny decision.*sathos:environment/.test(e.message),
      );
    });

    void it('rejects a deploy to an environment the policy does not declare', async () => {
      // The step itself was denied (and recorded deny); the verifier says why.
      await assert.rejects(
        build(
          honest().map((s) =>
            s.stage === 'deploy' ? { ...s, observations: { environment: 'moon' } } : s,
          ),
        ),
        (e: unknown) =>
          e instanceof SathosError &&
          e.code === 'POLICY_DENIED' &&
          /deploy step recorded a deny decision.*sathos:environment/.test(e.message),
      );
    });
  });
});
