// The deploy gate with real key signers (the pipeline's and the gate's own) and chains held in
// memory: the honest chain is allowed and its summary names the policy and every record; each
// attack — a record altered, a stage removed, a record of another run spliced in, an artifact the
// chain did not build — is refused with nothing appended; an undeclared environment, a decision
// outside the change window or in a freeze, a missing approval, a flagged step are denied and
// recorded; the deploy acts only after an allow, and the finished chain verifies later.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryChainStore } from '../attestation/chain/store.js';
import { parseChainText } from '../attestation/chain/chain.js';
import { keySigner } from '../attestation/sign/key-signer.js';
import { signStatement } from '../attestation/sign/sign.js';
import { testResult } from '../attestation/evidence/predicates.js';
import { createBundleVerifier } from '../attestation/verify/verify-bundle.js';
import { generateSigningKeyPair } from '../identity/keys/signing-key.js';
import { parsePublicKeys } from '../identity/keys/public-key.js';
import { publicGoodTrust } from '../identity/trust/trusted-root.js';
import { parsePolicy } from '../policy/document/document.js';
import type { ResourceDescriptor } from '../attestation/record/statement.js';
import type { StepPorts } from './record-step.js';
import { StepDeniedError, recordStep } from './record-step.js';
import type { Approval, GatePorts } from './gate.js';
import { gateDeploy, recordDeploy } from './gate.js';
import { requirementsFromPolicy, verifyChainWithPolicy } from './verify-chain-policy.js';

const RUN = {
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  runId: '41',
  runAttempt: 1,
  commit: 'c'.repeat(40),
};
const SOURCE = [{ name: 'git+acme/app', digest: { gitCommit: RUN.commit } }];
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
stages: [source, build, test, scan, decision, deploy]
identities:
  source: ${id(builder)}
  build: ${id(builder)}
  test: ${id(builder)}
  scan: ${id(builder)}
  decision: ${id(gate)}
  deploy: ${id(gate)}
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
  - id: deploy-after-allow
    stage: deploy
    expression: "records.exists(r, r.stage == 'decision' && r.policy.decision == 'allow' && r.evidence.verificationSummary.verificationResult == 'PASSED')"
    message: deploy only after the gate allowed it
environments:
  staging:
  production:
    requiredStages: [source, build, test, scan, decision]
    changeWindows:
      timeZone: Europe/Berlin
      allow: [{ days: [mon, tue, wed, thu], hours: "09:00-17:00" }]
      freezes: [{ from: "2026-12-20T00:00:00Z", until: "2027-01-04T00:00:00Z", reason: year-end }]
    approvals: { required: 1, from: [alice] }
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

function ports(store: MemoryChainStore, who = builder): StepPorts {
  const { signer } = who;
  return {
    store,
    signer: { sign: (s) => signStatement(s, signer), actor: { kind: 'key', keyId: signer.keyId } },
    trust: { checker },
  };
}
/** Tuesday 12:00 in Berlin. */
const OPEN = new Date('2026-06-02T10:00:00Z');
const gatePorts = (store: MemoryChainStore, at = OPEN, who = gate): GatePorts => ({
  ...ports(store, who),
  clock: () => at,
});
const ALICE: Approval[] = [{ by: 'alice', source: 'environment-reviewers' }];

async function chainToScan(
  run = RUN,
  scanObservations?: Record<string, unknown>,
): Promise<MemoryChainStore> {
  const store = new MemoryChainStore();
  const step = (stage: string, subjects: ResourceDescriptor[], extra = {}) =>
    recordStep({ stage, subjects, run, policy, ...extra }, ports(store));
  await step('source', SOURCE);
  await step('build', ARTIFACT);
  await step('test', ARTIFACT, { evidence: [testResult(ARTIFACT, { passed: ['t'], failed: [] })] });
  await step('scan', ARTIFACT, scanObservations ? { observations: scanObservations } : {});
  return store;
}

const decide = (
  store: MemoryChainStore,
  environment = 'production',
  at = OPEN,
  approvals = ALICE,
) =>
  gateDeploy(
    { environment, policy, artifacts: ARTIFACTS, approvals, verifierId: 'https://sathos.dev/gate' },
    gatePorts(store, at),
  );

/** Denied: the decision is recorded (deny) and the rule is named. */
async function assertDenied(store: MemoryChainStore, run: Promise<unknown>, rule: RegExp) {
  const before = (await store.read()).length;
  const error = await run.catch((e: unknown) => e);
  assert.ok(error instanceof StepDeniedError, String(error));
  assert.match(error.message, rule);
  assert.equal(error.appended.statement.predicate.policy?.decision, 'deny');
  assert.equal((await store.read()).length, before + 2, 'the denied decision and its summary');
  return error;
}

/** Refused before deciding: nothing appended. */
async function assertRefused(store: MemoryChainStore, run: Promise<unknown>, code?: string) {
  const before = store.text();
  const error = (await run.catch((e: unknown) => e)) as { code?: string };
  assert.ok(error instanceof Error, 'refused');
  assert.notEqual(error.code, 'POLICY_DENIED');
  if (code !== undefined) assert.equal(error.code, code, String(error));
  assert.equal(store.text(), before, 'nothing appended');
}

interface Payload {
  predicate: { stage?: string; verificationResult?: string };
  subject: { digest: Record<string, string> }[];
}
const payloadOf = (bundle: unknown): Payload =>
  JSON.parse(
    Buffer.from(
      (bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload,
      'base64',
    ).toString(),
  ) as Payload;

/** The chain's text with the record of `stage` edited after signing (its signature kept). */
function editRecord(text: string, stage: string, edit: (statement: Payload) => void) {
  return parseChainText(text)
    .map(({ bundle }) => {
      const envelope = (bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope;
      const statement = payloadOf(bundle);
      if (statement.predicate.stage === stage) {
        edit(statement);
        envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      }
      return JSON.stringify(bundle);
    })
    .join('\n');
}

describe('gateDeploy', () => {
  it('allows the honest chain, signs a summary naming the policy and every record, and the deploy follows', async () => {
    const store = await chainToScan();
    const result = await decide(store);
    assert.equal(result.decision.allowed, true);
    const vsa = result.summary.predicate as {
      verificationResult: string;
      policy: { digest: unknown };
      inputAttestations: { digest: { sha256: string } }[];
    };
    assert.equal(result.summary.predicateType, 'https://slsa.dev/verification_summary/v1');
    assert.equal(vsa.verificationResult, 'PASSED');
    assert.deepEqual(vsa.policy.digest, { sha256: policy.digest });
    assert.equal(vsa.inputAttestations.length, 4, 'source, build, test, scan');
    assert.deepEqual(
      vsa.inputAttestations.map((i) => i.digest.sha256).sort(),
      result.relied.records.map((r) => r.digest).sort(),
    );
    let deployed = false;
    await recordDeploy(
      {
        environment: 'production',
        policy,
        artifacts: ARTIFACTS,
        act: () => {
          deployed = true;
          return Promise.resolve();
        },
      },
      ports(store, gate),
    );
    assert.equal(deployed, true);
    // Decided once: the gate refuses a chain that already holds its decision, appending nothing.
    await assertRefused(store, decide(store), 'STAGE_ORDER');
    // Verified later (long after the window closed): the decision's recorded time is what counts.
    const verdict = verifyChainWithPolicy({
      lines: await store.read(),
      checker,
      requirements: requirementsFromPolicy(policy, 'production'),
      artifacts: ARTIFACTS,
      policy,
      verifierId: 'https://sathos.dev/test',
      clock: () => new Date('2027-02-06T23:00:00Z'),
      source: store.location,
    });
    assert.equal(verdict.verification.complete, true);
    assert.equal(verdict.evaluation?.allowed, true);
  });

  it('attack: a record altered after signing is refused, nothing appended', async () => {
    const honest = await chainToScan();
    const store = new MemoryChainStore(
      editRecord(honest.text(), 'build', (s) => {
        const first = s.subject[0];
        if (first !== undefined) first.digest.sha256 = 'e'.repeat(64);
      }),
    );
    await assertRefused(store, decide(store), 'SIGNATURE_INVALID');
  });

  it('attack: a required stage removed (the scan) is refused as incomplete', async () => {
    const honest = await chainToScan();
    const scanDigests = new Set<string>();
    const lines = parseChainText(honest.text());
    const kept = lines.filter(({ bundle }) => {
      const isScan = payloadOf(bundle).predicate.stage === 'scan';
      if (isScan) scanDigests.add(JSON.stringify(bundle));
      return !isScan;
    });
    assert.equal(scanDigests.size, 1);
    const store = new MemoryChainStore(kept.map((l) => JSON.stringify(l.bundle)).join('\n'));
    await assertRefused(store, decide(store), 'INCOMPLETE_CHAIN');
  });

  it('attack: a record from another run spliced in is refused', async () => {
    const honest = await chainToScan();
    const other = await chainToScan({ ...RUN, runId: '42' });
    const otherScan = parseChainText(other.text()).filter(
      ({ bundle }) => payloadOf(bundle).predicate.stage === 'scan',
    );
    const store = new MemoryChainStore(
      `${honest.text()}${otherScan.map((l) => JSON.stringify(l.bundle)).join('\n')}\n`,
    );
    await assertRefused(store, decide(store));
  });

  it('attack: an artifact the chain did not build is refused', async () => {
    const store = await chainToScan();
    const other = [
      { name: 'app.tar', digests: [{ algorithm: 'sha256' as const, hex: 'f'.repeat(64) }] },
    ];
    await assertRefused(
      store,
      gateDeploy(
        { environment: 'production', policy, artifacts: other, approvals: ALICE, verifierId: 'g' },
        gatePorts(store),
      ),
    );
  });

  it('refuses an empty chain with nothing appended', async () => {
    const store = new MemoryChainStore();
    await assertRefused(store, decide(store), 'INCOMPLETE_CHAIN');
  });

  it('denies an environment the policy does not declare', async () => {
    const store = await chainToScan();
    await assertDenied(store, decide(store, 'qa'), /sathos:environment.*"qa"/);
  });

  it('denies outside the change window and inside a freeze, naming the local time or the freeze', async () => {
    const saturday = await chainToScan();
    await assertDenied(
      saturday,
      decide(saturday, 'production', new Date('2026-06-06T10:00:00Z')),
      /sathos:change-window.*sat 12:00 in Europe\/Berlin/,
    );
    const evening = await chainToScan();
    await assertDenied(
      evening,
      decide(evening, 'production', new Date('2026-06-02T15:00:00Z')),
      /sathos:change-window.*tue 17:00/,
    );
    const frozen = await chainToScan();
    await assertDenied(
      frozen,
      decide(frozen, 'production', new Date('2026-12-22T10:00:00Z')),
      /sathos:change-window.*freeze.*year-end/,
    );
  });

  it('denies without the approval the environment requires, and with one from someone not listed', async () => {
    const none = await chainToScan();
    await assertDenied(none, decide(none, 'production', OPEN, []), /sathos:approvals.*0 found/);
    const mallory = await chainToScan();
    const denied = await assertDenied(
      mallory,
      decide(mallory, 'production', OPEN, [{ by: 'mallory', source: 'pull-request-reviews' }]),
      /sathos:approvals/,
    );
    const evidence = denied.appended.statement.predicate.evidence;
    assert.equal(evidence.length, 1, 'the denied decision still carries its summary');
  });

  it('denies after a step the anomaly supervisor flagged; the summary says FAILED', async () => {
    const store = await chainToScan(RUN, {
      anomaly: {
        version: 1,
        halted: false,
        findings: [
          { kind: 'unknown-host', host: 'evil.example:443', protocol: 'connect', count: 1 },
        ],
      },
    });
    const error = await assertDenied(store, decide(store, 'staging'), /sathos:anomaly.*scan/);
    const lines = await store.read();
    assert.equal(payloadOf(lines.at(-2)?.bundle).predicate.verificationResult, 'FAILED');
    assert.equal(error.decision.allowed, false);
  });

  it('denies after a step whose findings were only counted (findingsOmitted), none itemized', async () => {
    // What the supervisor records when a flood pushed findings past its decision log's bounds.
    const store = await chainToScan(RUN, {
      anomaly: { version: 1, halted: false, findings: [], findingsOmitted: 2 },
    });
    await assertDenied(store, decide(store, 'staging'), /sathos:anomaly.*scan/);
  });

  it('denies a decision signed by the pipeline instead of the gate, and no deploy follows a deny', async () => {
    const store = await chainToScan();
    await assertDenied(
      store,
      gateDeploy(
        {
          environment: 'production',
          policy,
          artifacts: ARTIFACTS,
          approvals: ALICE,
          verifierId: 'g',
        },
        gatePorts(store, OPEN, builder),
      ),
      /sathos:identity/,
    );
    let deployed = false;
    await assert.rejects(
      recordDeploy(
        {
          environment: 'production',
          policy,
          artifacts: ARTIFACTS,
          act: () => {
            deployed = true;
            return Promise.resolve();
          },
        },
        ports(store, gate),
      ),
    );
    assert.equal(deployed, false);
  });
});
