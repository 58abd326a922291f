// The step service with a real key signer and a chain in memory: a step verifies what it was
// handed before it appends; a denied step is recorded and fails, and no step follows it; a chain
// that does not verify gets nothing appended; a step's bundles go in together or not at all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryChainStore } from '../attestation/chain/store.js';
import { keySigner } from '../attestation/sign/key-signer.js';
import { signStatement } from '../attestation/sign/sign.js';
import { testResult } from '../attestation/evidence/predicates.js';
import { createBundleVerifier } from '../attestation/verify/verify-bundle.js';
import { generateSigningKeyPair } from '../identity/keys/signing-key.js';
import { parsePublicKeys } from '../identity/keys/public-key.js';
import { publicGoodTrust } from '../identity/trust/trusted-root.js';
import { parsePolicy } from '../policy/document/document.js';
import type { StepPorts } from './record-step.js';
import { StepDeniedError, recordStep } from './record-step.js';
import { verifyChainWithPolicy } from './verify-chain-policy.js';

const RUN = {
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/ci.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};
const SOURCE = [{ name: 'git+acme/app', digest: { gitCommit: RUN.commit } }];
const ARTIFACT = [{ name: 'app.tar', digest: { sha256: 'b'.repeat(64) } }];

function signerAndKey() {
  const pair = generateSigningKeyPair();
  const signer = keySigner({ privateKeyPem: pair.privateKeyPem });
  return { pair, signer };
}

const trusted = signerAndKey();
const policy = parsePolicy(
  `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test]
identities:
  source: [{ keyId: "${trusted.signer.keyId}" }]
  build: [{ keyId: "${trusted.signer.keyId}" }]
  test: [{ keyId: "${trusted.signer.keyId}" }]
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
`,
  'policy.yaml',
);

function ports(store: MemoryChainStore, who = trusted.signer): StepPorts {
  return {
    store,
    signer: { sign: (s) => signStatement(s, who), actor: { kind: 'key', keyId: who.keyId } },
    trust: {
      checker: createBundleVerifier(publicGoodTrust(), {
        keys: parsePublicKeys(trusted.pair.publicKeyPem, 'trusted.pub'),
        allowUnloggedKeySignatures: true,
      }),
    },
  };
}

const tests = (failed: string[]) => [
  testResult(ARTIFACT, { passed: failed.length === 0 ? ['t'] : [], failed }),
];

async function sourceAndBuild(): Promise<MemoryChainStore> {
  const store = new MemoryChainStore();
  await recordStep({ stage: 'source', subjects: SOURCE, run: RUN, policy }, ports(store));
  await recordStep({ stage: 'build', subjects: ARTIFACT, run: RUN, policy }, ports(store));
  return store;
}

describe('recordStep', () => {
  it('records allowed steps whose chain verifies end to end', async () => {
    const store = await sourceAndBuild();
    let acted = false;
    const result = await recordStep(
      {
        stage: 'test',
        subjects: ARTIFACT,
        run: RUN,
        policy,
        evidence: tests([]),
        act: () => {
          acted = true;
          return Promise.resolve();
        },
      },
      ports(store),
    );
    assert.equal(acted, true);
    assert.equal(result.decision?.allowed, true);
    assert.equal(result.soFar?.records.length, 2, 'the two earlier records were verified');
    const verdict = verifyChainWithPolicy({
      lines: await store.read(),
      checker: ports(store).trust.checker,
      requirements: { stages: policy.stages, identities: policy.identities },
      artifacts: [{ name: 'app.tar', digests: [{ algorithm: 'sha256', hex: 'b'.repeat(64) }] }],
      policy,
      verifierId: 'https://sathos.dev/test',
      clock: () => new Date('2026-01-01T00:00:00Z'),
      source: store.location,
    });
    assert.equal(verdict.evaluation?.allowed, true);
    assert.equal(verdict.verification.records.length, 3);
    assert.equal(verdict.summary.predicateType, 'https://slsa.dev/verification_summary/v1');
  });

  it('records a denied step with its deny decision, fails it, and lets nothing follow', async () => {
    const store = await sourceAndBuild();
    let acted = false;
    const denied = await recordStep(
      {
        stage: 'test',
        subjects: ARTIFACT,
        run: RUN,
        policy,
        evidence: tests(['t']),
        act: () => {
          acted = true;
          return Promise.resolve();
        },
      },
      ports(store),
    ).catch((error: unknown) => error);
    assert.ok(denied instanceof StepDeniedError, String(denied));
    assert.equal(denied.code, 'POLICY_DENIED');
    assert.match(denied.message, /tests-passed/);
    assert.equal(acted, false, 'a denied step does not act');
    const record = denied.appended.statement.predicate;
    assert.equal(record.policy?.decision, 'deny');
    assert.equal((await store.read()).length, 4, 'evidence and record appended');
    const before = store.text();
    await assert.rejects(
      recordStep(
        { stage: 'test', subjects: ARTIFACT, run: RUN, policy, evidence: tests([]) },
        ports(store),
      ),
      { code: 'POLICY_DENIED' },
    );
    assert.deepEqual(store.text(), before, 'nothing appended after a recorded deny');
  });

  it('attack: a handed chain with a record by an untrusted key gets nothing appended', async () => {
    const store = new MemoryChainStore();
    const mallory = signerAndKey().signer;
    const forged = ports(store, mallory);
    await recordStep({ stage: 'source', subjects: SOURCE, run: RUN }, forged);
    const before = store.text();
    await assert.rejects(
      recordStep({ stage: 'build', subjects: ARTIFACT, run: RUN, policy }, ports(store)),
      (error: { code?: string }) => error.code !== undefined && error.code !== 'POLICY_DENIED',
    );
    assert.deepEqual(store.text(), before);
  });

  it('attack: a chain of another run is refused before anything is appended', async () => {
    const store = new MemoryChainStore();
    await recordStep({ stage: 'source', subjects: SOURCE, run: RUN, policy }, ports(store));
    const before = store.text();
    await assert.rejects(
      recordStep(
        { stage: 'build', subjects: ARTIFACT, run: { ...RUN, runId: '8' }, policy },
        ports(store),
      ),
      { code: 'RUN_MISMATCH' },
    );
    assert.deepEqual(store.text(), before);
  });

  it('refuses to build on a non-empty chain when it is told nobody who may sign it', async () => {
    const store = new MemoryChainStore();
    await recordStep({ stage: 'source', subjects: SOURCE, run: RUN }, ports(store));
    await assert.rejects(
      recordStep({ stage: 'build', subjects: ARTIFACT, run: RUN }, ports(store)),
      {
        code: 'USAGE',
      },
    );
  });

  it('appends none of a step when signing its record fails after its evidence', async () => {
    const store = new MemoryChainStore();
    const base = ports(store);
    let calls = 0;
    const failing: StepPorts = {
      ...base,
      signer: {
        ...base.signer,
        sign: async (statement) => {
          calls += 1;
          if (calls === 2) throw new Error('signing service unavailable');
          return base.signer.sign(statement);
        },
      },
    };
    await assert.rejects(
      recordStep({ stage: 'source', subjects: ARTIFACT, run: RUN, evidence: tests([]) }, failing),
      /signing service unavailable/,
    );
    assert.equal(calls, 2);
    assert.equal(store.text(), '', 'the evidence was not appended alone');
  });
});
