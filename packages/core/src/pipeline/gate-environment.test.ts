// Attack: a decision about one environment used to deploy to another. The staging decision
// passes (staging demands nothing); a deploy record for production is then appended after it —
// production's approvals and change windows were never checked. The deploy must be refused, and
// a verifier asked about production must reject a chain whose decision was about staging. And the
// approvals production demands are people's: an app's approval and one login in two cases do not
// make two approvers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryChainStore } from '../attestation/chain/store.js';
import { keySigner } from '../attestation/sign/key-signer.js';
import { signStatement } from '../attestation/sign/sign.js';
import { createBundleVerifier } from '../attestation/verify/verify-bundle.js';
import { generateSigningKeyPair } from '../identity/keys/signing-key.js';
import { parsePublicKeys } from '../identity/keys/public-key.js';
import { publicGoodTrust } from '../identity/trust/trusted-root.js';
import { parsePolicy } from '../policy/document/document.js';
import type { StepPorts } from './record-step.js';
import { StepDeniedError, recordStep } from './record-step.js';
import type { Approval } from './gate.js';
import { gateDeploy, recordDeploy } from './gate.js';
import { requirementsFromPolicy, verifyChainWithPolicy } from './verify-chain-policy.js';

const RUN = {
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  runId: '41',
  runAttempt: 1,
  commit: 'c'.repeat(40),
};
const SHA = 'd'.repeat(64);
const ARTIFACT = [{ name: 'app.tar', digest: { sha256: SHA } }];
const ARTIFACTS = [{ name: 'app.tar', digests: [{ algorithm: 'sha256' as const, hex: SHA }] }];

function party() {
  const pair = generateSigningKeyPair();
  return { pair, signer: keySigner({ privateKeyPem: pair.privateKeyPem }) };
}
const builder = party();
const gate = party();
const id = (p: ReturnType<typeof party>) => `[{ keyId: "${p.signer.keyId}" }]`;

const policy = parsePolicy(
  `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, decision, deploy]
identities:
  source: ${id(builder)}
  build: ${id(builder)}
  decision: ${id(gate)}
  deploy: ${id(gate)}
environments:
  staging:
  production:
    requiredStages: [source, build, decision]
    approvals: { required: 2 }
`,
  'policy.yaml',
);

const checker = createBundleVerifier(publicGoodTrust(), {
  keys: [
    ...parsePublicKeys(builder.pair.publicKeyPem, 'builder.pub'),
    ...parsePublicKeys(gate.pair.publicKeyPem, 'gate.pub'),
  ],
  allowUnloggedKeySignatures: true,
});

function ports(store: MemoryChainStore, who: ReturnType<typeof party>): StepPorts {
  const { signer } = who;
  return {
    store,
    signer: { sign: (s) => signStatement(s, signer), actor: { kind: 'key', keyId: signer.keyId } },
    trust: { checker },
  };
}

/** source → build → decision(staging, allowed): the honest chain for a staging deploy. */
async function built(): Promise<MemoryChainStore> {
  const store = new MemoryChainStore();
  await recordStep(
    {
      stage: 'source',
      subjects: [{ name: 'git+acme/app', digest: { gitCommit: RUN.commit } }],
      run: RUN,
      policy,
    },
    ports(store, builder),
  );
  await recordStep({ stage: 'build', subjects: ARTIFACT, run: RUN, policy }, ports(store, builder));
  return store;
}

const decide = (store: MemoryChainStore, environment: string, approvals: Approval[] = []) =>
  gateDeploy(
    { environment, policy, artifacts: ARTIFACTS, approvals, verifierId: 'https://sathos.dev/g' },
    { ...ports(store, gate), clock: () => new Date('2026-06-02T10:00:00Z') },
  );

async function decidedForStaging(): Promise<MemoryChainStore> {
  const store = await built();
  await decide(store, 'staging');
  return store;
}

const deploy = (store: MemoryChainStore, environment: string, acted: { done: boolean }) =>
  recordDeploy(
    {
      environment,
      policy,
      artifacts: ARTIFACTS,
      act: () => {
        acted.done = true;
        return Promise.resolve();
      },
    },
    ports(store, gate),
  );

void describe('gate: the decision binds its environment', () => {
  void it('attack: a staging decision does not let a deploy to production act or be recorded', async () => {
    const store = await decidedForStaging();
    const acted = { done: false };
    const error = await deploy(store, 'production', acted).catch((e: unknown) => e);
    assert.ok(error instanceof StepDeniedError, String(error));
    assert.match(error.message, /sathos:environment/);
    assert.equal(acted.done, false, 'the deployment never ran');
  });

  void it('attack: a verifier asked about production rejects a deploy record after a staging decision', async () => {
    // The forged record: the gate's identity signs a deploy record naming production after the
    // staging decision (its signer rewrites what the staging deploy step asked it to sign).
    const store = await decidedForStaging();
    const forging: StepPorts = {
      ...ports(store, gate),
      signer: {
        sign: (statement) => {
          const predicate = statement.predicate as { observations?: { environment?: string } };
          if (predicate.observations?.environment === 'staging')
            predicate.observations.environment = 'production';
          return signStatement(statement, gate.signer);
        },
        actor: { kind: 'key', keyId: gate.signer.keyId },
      },
    };
    await recordDeploy(
      { environment: 'staging', policy, artifacts: ARTIFACTS, act: () => Promise.resolve() },
      forging,
    );
    const lines = await store.read();
    assert.throws(
      () =>
        verifyChainWithPolicy({
          lines,
          checker,
          requirements: requirementsFromPolicy(policy, 'production'),
          artifacts: ARTIFACTS,
          policy,
          verifierId: 'https://sathos.dev/test',
          clock: () => new Date('2026-06-03T00:00:00Z'),
          source: store.location,
        }),
      /sathos:environment|decision/,
    );
  });

  void it('the staging deploy after the staging decision is recorded', async () => {
    const store = await decidedForStaging();
    const acted = { done: false };
    await deploy(store, 'staging', acted);
    assert.equal(acted.done, true);
  });
});

void describe('gate: approvals are distinct people', () => {
  const by = (...logins: string[]): Approval[] =>
    logins.map((login) => ({ by: login, source: 'environment-reviewers' }));

  void it("attack: an app's approval (github-actions[bot]) is not counted unless the policy names it", async () => {
    const error = await decide(
      await built(),
      'production',
      by('alice', 'github-actions[bot]'),
    ).catch((e: unknown) => e);
    assert.ok(error instanceof StepDeniedError, String(error));
    assert.match(error.message, /sathos:approvals.*1 found: alice/);
  });

  void it('attack: one login in two cases is one approver', async () => {
    const error = await decide(await built(), 'production', by('alice', 'ALICE')).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof StepDeniedError, String(error));
    assert.match(error.message, /sathos:approvals.*1 found/);
  });

  void it('two people approve: allowed', async () => {
    const result = await decide(await built(), 'production', by('alice', 'bob'));
    assert.equal(result.decision.allowed, true);
  });
});
