// attestStep with a real key signer: a step of more subjects than a record holds is recorded as
// consecutive records of its stage that the chain verifier accepts and binds artifacts through; each
// part's decision is what the verifier re-evaluates; a chain tampered with gets nothing appended.
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
import type { Subject } from '../attestation/subjects/subject.js';
import { attestStep } from './attest.js';
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
const hex = (i: number) => i.toString(16).padStart(64, '0');
const files = (n: number): Subject[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `pkg/${i}/app.bin`,
    digest: { sha256: hex(i + 1) },
  }));

const pair = generateSigningKeyPair();
const key = keySigner({ privateKeyPem: pair.privateKeyPem });
const policy = parsePolicy(
  `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test]
identities:
  source: [{ keyId: "${key.keyId}" }]
  build: [{ keyId: "${key.keyId}" }]
  test: [{ keyId: "${key.keyId}" }]
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
  - id: no-forbidden-file
    stage: build
    expression: "!subjects.exists(s, s.name.endsWith('forbidden.bin'))"
    message: forbidden.bin is never built
`,
  'policy.yaml',
);

const ports = (store: MemoryChainStore): StepPorts => ({
  store,
  signer: { sign: (s) => signStatement(s, key), actor: { kind: 'key', keyId: key.keyId } },
  trust: {
    checker: createBundleVerifier(publicGoodTrust(), {
      keys: parsePublicKeys(pair.publicKeyPem, 'trusted.pub'),
      allowUnloggedKeySignatures: true,
    }),
  },
});

async function chainWithSource(): Promise<MemoryChainStore> {
  const store = new MemoryChainStore();
  await recordStep({ stage: 'source', subjects: SOURCE, run: RUN, policy }, ports(store));
  return store;
}

describe('attestStep', () => {
  it('records 2,500 subjects as three linked build records and three test records that verify', async () => {
    const store = await chainWithSource();
    const subjects = files(2500);
    const build = await attestStep({ stage: 'build', subjects, run: RUN, policy }, ports(store));
    assert.deepEqual(
      build.records.map((r) => r.statement.subject.length),
      [1024, 1024, 452],
    );
    assert.deepEqual(
      build.records.map((r) => r.statement.predicate.observations),
      [1, 2, 3].map((part) => ({ subjectParts: { part, of: 3 } })),
    );
    const test = await attestStep(
      {
        stage: 'test',
        subjects: [...subjects].reverse(),
        run: RUN,
        policy,
        evidence: (part) => [testResult(part, { passed: ['t'], failed: [] })],
      },
      ports(store),
    );
    assert.equal(test.records.length, 3);
    assert.equal(test.bundles.length, 6);
    // An artifact of the last part is bound through the build and test records that hold it.
    const last = subjects.at(-1) as Subject;
    const verdict = verifyChainWithPolicy({
      lines: await store.read(),
      checker: ports(store).trust.checker,
      requirements: { stages: policy.stages, identities: policy.identities },
      artifacts: [
        { name: last.name, digests: [{ algorithm: 'sha256', hex: last.digest.sha256 ?? '' }] },
      ],
      policy,
      verifierId: 'https://sathos.dev/test',
      clock: () => new Date('2026-01-01T00:00:00Z'),
      source: store.location,
    });
    assert.equal(verdict.evaluation?.allowed, true);
    assert.equal(verdict.verification.records.length, 7);
  });

  it('records a denied part with its deny, appends nothing after it, and fails', async () => {
    const store = await chainWithSource();
    // Sorted by name, zz/forbidden.bin falls in the second of two parts.
    const subjects = [...files(1500), { name: 'zz/forbidden.bin', digest: { sha256: hex(9) } }];
    await assert.rejects(
      attestStep({ stage: 'build', subjects, run: RUN, policy }, ports(store)),
      (error: unknown) => error instanceof StepDeniedError && /forbidden\.bin/.test(error.message),
    );
    const lines = await store.read();
    assert.equal(lines.length, 3, 'the source record, the allowed part and the denied part');
    await assert.rejects(
      attestStep({ stage: 'build', subjects: files(3), run: RUN, policy }, ports(store)),
      /recorded a deny decision/,
    );
    assert.equal((await store.read()).length, 3);
  });

  it('refuses a chain cut inside a step: the denied part dropped, or the last parts of an allowed step', async () => {
    // Attack: a build denied at its second part; the chain file is cut back to its allowed first
    // part (a line dropped between jobs) so the next step would build on it and bind its artifacts.
    const denied = await chainWithSource();
    const subjects = [...files(1500), { name: 'zz/forbidden.bin', digest: { sha256: hex(9) } }];
    await assert.rejects(
      attestStep({ stage: 'build', subjects, run: RUN, policy }, ports(denied)),
      StepDeniedError,
    );
    const cut = new MemoryChainStore(denied.text().split('\n').slice(0, 2).join('\n'));
    const testStep = (store: MemoryChainStore) =>
      attestStep(
        {
          stage: 'test',
          subjects: files(3),
          run: RUN,
          policy,
          evidence: (part) => [testResult(part, { passed: ['t'], failed: [] })],
        },
        ports(store),
      );
    await assert.rejects(testStep(cut), (error: unknown) => {
      const { code, message } = error as { code?: string; message: string };
      return code === 'INCOMPLETE_CHAIN' && /part 1 of 2/.test(message);
    });
    // The same cut of an allowed three-part build.
    const allowed = await chainWithSource();
    await attestStep({ stage: 'build', subjects: files(2500), run: RUN, policy }, ports(allowed));
    const lines = allowed.text().split('\n');
    const shortened = new MemoryChainStore(lines.slice(0, 3).join('\n'));
    const before = shortened.text();
    await assert.rejects(testStep(shortened), /part 2 of 3/);
    assert.equal(shortened.text(), before);
    // Uncut, the step is accepted.
    await testStep(allowed);
  });

  it('refuses a step whose parts were signed by different signers, even both allowed for the stage', async () => {
    // Attack: a second allowed build signer's record spliced in as the step's next part.
    const otherPair = generateSigningKeyPair();
    const other = keySigner({ privateKeyPem: otherPair.privateKeyPem });
    const two = parsePolicy(
      `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test]
identities:
  source: [{ keyId: "${key.keyId}" }]
  build: [{ keyId: "${key.keyId}" }, { keyId: "${other.keyId}" }]
  test: [{ keyId: "${key.keyId}" }]
`,
      'two.yaml',
    );
    const store = new MemoryChainStore();
    const trust = {
      checker: createBundleVerifier(publicGoodTrust(), {
        keys: [
          ...parsePublicKeys(pair.publicKeyPem, 'trusted.pub'),
          ...parsePublicKeys(otherPair.publicKeyPem, 'other.pub'),
        ],
        allowUnloggedKeySignatures: true,
      }),
    };
    const base = { ...ports(store), trust };
    await recordStep({ stage: 'source', subjects: SOURCE, run: RUN, policy: two }, base);
    let records = 0;
    const switching = {
      get actor() {
        return { kind: 'key' as const, keyId: (records === 0 ? key : other).keyId };
      },
      sign: async (statement: Parameters<StepPorts['signer']['sign']>[0]) => {
        const bundle = await signStatement(statement, records === 0 ? key : other);
        records += 1;
        return bundle;
      },
    };
    await attestStep(
      {
        stage: 'build',
        subjects: files(4),
        run: RUN,
        policy: two,
        split: { maxSubjects: 2, maxBytes: 1024 },
      },
      { ...base, signer: switching },
    );
    await assert.rejects(
      attestStep({ stage: 'test', subjects: files(1), run: RUN, policy: two }, base),
      /part 2 of 2 .*signed by key .*, not by key/,
    );
  });

  it("refuses observations that claim to be a part: subjectParts is the step service's to set", async () => {
    const store = await chainWithSource();
    await assert.rejects(
      attestStep(
        {
          stage: 'build',
          subjects: files(1),
          run: RUN,
          policy,
          observations: { subjectParts: { part: 1, of: 2 } },
        },
        ports(store),
      ),
      (error: unknown) => (error as { code?: string }).code === 'USAGE',
    );
  });

  it('appends nothing to a chain that was tampered with, and leaves its text as it was', async () => {
    const store = await chainWithSource();
    await attestStep({ stage: 'build', subjects: files(3), run: RUN, policy }, ports(store));
    const lines = store.text().split('\n');
    const bundle = JSON.parse(lines[1] ?? '') as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as {
      subject: { digest: { sha256: string } }[];
    };
    (statement.subject[0] as { digest: { sha256: string } }).digest.sha256 = hex(99);
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    lines[1] = JSON.stringify(bundle);
    const tampered = new MemoryChainStore(lines.join('\n'));
    const before = tampered.text();
    await assert.rejects(
      attestStep({ stage: 'test', subjects: files(3), run: RUN, policy }, ports(tampered)),
      (error: unknown) => (error as { code?: string }).code === 'SIGNATURE_INVALID',
    );
    assert.equal(tampered.text(), before);
  });

  it('appends nothing when the chain changes while the step signs', async () => {
    // Attack: a line slipped into the chain file after the step verified it and before it writes
    // (signing takes seconds on the network). The step must not append after lines it never saw.
    const store = await chainWithSource();
    const honest = ports(store);
    const forged = JSON.parse(store.text().split('\n')[0] ?? '') as unknown;
    let injected = false;
    const racing: StepPorts = {
      ...honest,
      signer: {
        ...honest.signer,
        sign: async (statement) => {
          if (!injected) {
            injected = true;
            await store.append(forged);
          }
          return honest.signer.sign(statement);
        },
      },
    };
    const before = store.text();
    await assert.rejects(
      attestStep({ stage: 'build', subjects: files(2), run: RUN, policy }, racing),
      (error: unknown) =>
        (error as { code?: string }).code === 'CHAIN_BROKEN' &&
        /changed after this step verified it/.test((error as Error).message),
    );
    // Only the racing writer's line was added; none of the step's.
    assert.equal(
      store.text().split('\n').filter(Boolean).length,
      before.split('\n').filter(Boolean).length + 1,
    );
  });

  it('refuses an empty step before reading the chain', async () => {
    const store = await chainWithSource();
    await assert.rejects(
      attestStep({ stage: 'build', subjects: [], run: RUN, policy }, ports(store)),
      /names no subject/,
    );
  });
});
