import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { MessageSignatureBundleBuilder } from '@sigstore/sign';
import { bundleToJSON } from '@sigstore/bundle';
import { SathosError, type ErrorCode } from '../../errors.js';
import type { IdentityRule } from '../../identity/signers/identity-rule.js';
import { parsePublicKeys } from '../../identity/keys/public-key.js';
import { generateSigningKeyPair } from '../../identity/keys/signing-key.js';
import { publicGoodTrust } from '../../identity/trust/trusted-root.js';
import { appendTransition, type AppendResult } from './append.js';
import { MemoryChainStore } from './store.js';
import { decodeRecords, linkRef, nextLink, type ChainLine } from './chain.js';
import { digestsOf, sha256Hex } from '../../digest.js';
import {
  SLSA_PROVENANCE_V1,
  TEST_RESULT_V01,
  slsaProvenance,
  testResult,
} from '../evidence/predicates.js';
import {
  BUILTIN_STAGES,
  TRANSITION_PREDICATE_TYPE,
  type ActorClaims,
  type NextLink,
  type RunBinding,
} from '../record/transition.js';
import { keySigner, signPayload, signStatement, type KeyStatementSigner } from '../sign/sign.js';
import { STATEMENT_TYPE, type ResourceDescriptor, type Statement } from '../record/statement.js';
import { createBundleVerifier } from '../verify/verify-bundle.js';
import {
  verifyChain,
  type ArtifactInput,
  type BundleChecker,
  type ChainRequirements,
  type ChainVerification,
} from './verify-chain.js';

// Real keys, real bundles, the real bundle verifier: only the pipeline around them is simulated.
const ownKeys = generateSigningKeyPair();
const otherKeys = generateSigningKeyPair();
const own = keySigner({ privateKeyPem: ownKeys.privateKeyPem });
const other = keySigner({ privateKeyPem: otherKeys.privateKeyPem });
const checker = createBundleVerifier(publicGoodTrust(), {
  keys: [
    ...parsePublicKeys(ownKeys.publicKeyPem, 'own.pub'),
    ...parsePublicKeys(otherKeys.publicKeyPem, 'other.pub'),
  ],
  allowUnloggedKeySignatures: true,
});

const COMMIT = '1f2e3d4c5b6a79880123456789abcdef01234567';
const REPOSITORY = 'demo/hello-sathos';

function artifact(name: string): { subject: ResourceDescriptor; input: ArtifactInput } {
  const bytes = Buffer.from(`the bytes of ${name}`);
  return {
    subject: { name, digest: { sha256: sha256Hex(bytes) } },
    input: { name, digests: digestsOf(bytes) },
  };
}

const APP = artifact('hello-sathos.tar');
const APP_ARM = artifact('hello-sathos-arm64.tar');
const COMMIT_SUBJECT: ResourceDescriptor = {
  name: `git+${REPOSITORY}`,
  digest: { gitCommit: COMMIT },
};

function runBinding(runId = '1001'): RunBinding {
  return {
    repository: REPOSITORY,
    workflowRef: `${REPOSITORY}/.github/workflows/release.yml@refs/heads/main`,
    runId,
    runAttempt: 1,
    commit: COMMIT,
  };
}

const keyActor = (signer: KeyStatementSigner): ActorClaims => ({
  kind: 'key',
  keyId: signer.keyId,
});

function onlyKey(signer: KeyStatementSigner): Record<string, readonly IdentityRule[]> {
  return Object.fromEntries(BUILTIN_STAGES.map((s) => [s, [{ keyId: signer.keyId }]]));
}

/** The demo policy: all six stages, in order, each signed by our key. */
function requirements(overrides: Partial<ChainRequirements> = {}): ChainRequirements {
  return { stages: BUILTIN_STAGES, identities: onlyKey(own), ...overrides };
}

/** The standard evidence an honest step signs beside its record. */
function evidenceFor(stage: string, subjects: readonly ResourceDescriptor[]): Statement[] {
  if (stage === 'build') {
    return [
      slsaProvenance(subjects, {
        serverUrl: 'https://github.com',
        repository: REPOSITORY,
        workflowPath: '.github/workflows/release.yml',
        ref: 'refs/heads/main',
        commit: COMMIT,
        eventName: 'push',
        runnerEnvironment: 'self-hosted',
        runId: '1001',
        runAttempt: 1,
        builderId: `https://github.com/${REPOSITORY}/.github/workflows/release.yml@refs/heads/main`,
      }),
    ];
  }
  if (stage === 'test') return [testResult(subjects, { passed: ['hello.test.js'], failed: [] })];
  return [];
}

interface StepOptions {
  readonly subjects?: readonly ResourceDescriptor[];
  readonly signer?: KeyStatementSigner;
  readonly actor?: ActorClaims;
  readonly run?: RunBinding;
  readonly evidence?: readonly Statement[];
  readonly terminal?: boolean;
}

/** A chain held as JSON Lines text, grown the way SATHOS steps grow it. */
class TestChain {
  store: MemoryChainStore;
  readonly run: RunBinding;

  private constructor(text: string, run: RunBinding) {
    this.store = new MemoryChainStore(text);
    this.run = run;
  }

  static create(run = runBinding(), text = ''): Promise<TestChain> {
    return Promise.resolve(new TestChain(text, run));
  }

  /** Parallel jobs: each starts from a copy of the chain so far. */
  async fork(): Promise<TestChain> {
    return TestChain.create(this.run, await this.text());
  }

  /** Parallel jobs' chains joined the way artifacts are: by concatenation. */
  static async join(...chains: TestChain[]): Promise<TestChain> {
    const [first] = chains;
    assert.ok(first !== undefined);
    const texts = await Promise.all(chains.map((c) => c.text()));
    return TestChain.create(first.run, texts.join(''));
  }

  /** One honest step, through appendTransition as every SATHOS action does it. */
  async step(stage: string, options: StepOptions = {}): Promise<AppendResult> {
    const signer = options.signer ?? own;
    const subjects = options.subjects ?? (stage === 'source' ? [COMMIT_SUBJECT] : [APP.subject]);
    return appendTransition({
      store: this.store,
      sign: (statement) => signStatement(statement, signer),
      stage,
      subjects,
      run: options.run ?? this.run,
      actor: options.actor ?? keyActor(signer),
      evidence: options.evidence ?? evidenceFor(stage, subjects),
      terminal: options.terminal ?? stage === 'deploy',
    });
  }

  async steps(...stages: string[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const stage of stages) results.push(await this.step(stage));
    return results;
  }

  /** Signs a standard attestation into the chain, as a step's evidence; returns its digest. */
  async sign(statement: Statement, signer = own): Promise<string> {
    const bundle = await signStatement(statement, signer);
    await this.store.append(bundle);
    return payloadDigest(bundle);
  }

  /**
   * A record signed by hand: the honest next record of `stage`, then `edit` makes it the attack.
   * `link` replaces the honest link where the chain refuses to give one (after its terminal).
   */
  async forge(
    stage: string,
    edit: (predicate: Record<string, unknown>) => void = () => undefined,
    options: StepOptions & { readonly link?: NextLink } = {},
  ): Promise<string> {
    const signer = options.signer ?? own;
    const link = options.link ?? nextLink(decodeRecords(await this.store.read()));
    const predicate: Record<string, unknown> = {
      stage,
      run: options.run ?? this.run,
      sequence: link.sequence,
      ...(link.genesis === undefined ? {} : { genesis: link.genesis }),
      previous: link.previous,
      actor: options.actor ?? keyActor(signer),
      evidence: [],
      ...(stage === 'deploy' ? { terminal: true } : {}),
    };
    edit(predicate);
    const subject = options.subjects ?? (stage === 'source' ? [COMMIT_SUBJECT] : [APP.subject]);
    return this.sign(
      { _type: STATEMENT_TYPE, subject, predicateType: TRANSITION_PREDICATE_TYPE, predicate },
      signer,
    );
  }

  text(): Promise<string> {
    return Promise.resolve(this.store.text());
  }

  lines(): Promise<ChainLine[]> {
    return this.store.read();
  }

  /** Rewrites the chain keeping only the lines `keep` accepts (an attacker holding the artifact). */
  async filter(keep: (line: ChainLine) => boolean): Promise<void> {
    const kept = (await this.lines()).filter(keep).map((l) => JSON.stringify(l.bundle));
    this.store = new MemoryChainStore(kept.map((l) => `${l}\n`).join(''));
  }

  async verify(
    req: ChainRequirements = requirements(),
    artifacts: readonly ArtifactInput[] = [APP.input],
  ): Promise<ChainVerification> {
    return verifyOrThrow(await this.lines(), req, artifacts, this.store.location);
  }

  /** Asserts the chain is rejected with `code` (and, if given, a message matching `pattern`). */
  async rejects(
    code: ErrorCode,
    pattern?: RegExp,
    req: ChainRequirements = requirements(),
    artifacts: readonly ArtifactInput[] = [APP.input],
  ): Promise<void> {
    const lines = await this.lines();
    assert.throws(
      () => verifyOrThrow(lines, req, artifacts, this.store.location),
      hasCode(code, pattern),
    );
  }
}

function verifyOrThrow(
  lines: readonly ChainLine[],
  req: ChainRequirements,
  artifacts: readonly ArtifactInput[],
  source: string,
): ChainVerification {
  return verifyChain({ lines, checker, requirements: req, artifacts, source });
}

function hasCode(code: ErrorCode, pattern?: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `expected a SathosError, got ${String(error)}`);
    assert.equal(error.code, code, `got ${error.code}: ${error.line}`);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  };
}

function payloadDigest(bundle: unknown): string {
  const payload = (bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload;
  return sha256Hex(Buffer.from(payload, 'base64'));
}

function statementOf(line: ChainLine): Statement {
  const payload = (line.bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload;
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Statement;
}

const predicateTypeOf = (line: ChainLine): string => statementOf(line).predicateType;

function predicateOf(line: ChainLine): Record<string, unknown> | undefined {
  const statement = statementOf(line);
  return statement.predicateType === TRANSITION_PREDICATE_TYPE
    ? (statement.predicate as Record<string, unknown>)
    : undefined;
}

const isStage = (stage: string) => (line: ChainLine) => predicateOf(line)?.stage === stage;

/** A complete, honest chain: source → build → test → scan → decision → deploy. */
async function completeChain(
  run = runBinding(),
): Promise<{ chain: TestChain; results: AppendResult[] }> {
  const chain = await TestChain.create(run);
  const results = await chain.steps(...BUILTIN_STAGES);
  return { chain, results };
}

void describe('verifyChain', () => {
  void describe('when the chain is complete and honest', () => {
    let chain: TestChain;
    let results: AppendResult[];
    before(async () => {
      ({ chain, results } = await completeChain());
    });

    void it('verifies every record, in order, from the genesis to the terminal deploy', async () => {
      const verified = await chain.verify();
      assert.deepEqual(
        verified.records.map((r) => [r.stage, r.sequence]),
        BUILTIN_STAGES.map((s, i) => [s, i]),
      );
      assert.equal(verified.complete, true);
      assert.equal(verified.genesis.stage, 'source');
      assert.equal(verified.head.stage, 'deploy');
      assert.equal(verified.head.digest, results.at(-1)?.digest);
      assert.deepEqual(verified.run, runBinding());
      for (const record of verified.records) assert.deepEqual(record.signer, keyActor(own));
    });

    void it('verifies the standard evidence each record points to', async () => {
      const verified = await chain.verify();
      const evidence = verified.records.map((r) => [
        r.stage,
        r.evidence.map((e) => e.predicateType),
      ]);
      assert.deepEqual(evidence, [
        ['source', []],
        ['build', [SLSA_PROVENANCE_V1]],
        ['test', [TEST_RESULT_V01]],
        ['scan', []],
        ['decision', []],
        ['deploy', []],
      ]);
    });

    void it('verifies when the lines are shuffled and duplicated', async () => {
      const lines = (await chain.text()).trim().split('\n');
      const shuffled = [...lines].sort((a, b) => sha256Hex(a).localeCompare(sha256Hex(b)));
      assert.notDeepEqual(shuffled, lines);
      const twice = await TestChain.create(
        chain.run,
        [...shuffled, ...[...lines].reverse()].join('\n\n'),
      );
      const verified = await twice.verify();
      assert.equal(verified.records.length, 6);
      assert.equal(verified.head.digest, results.at(-1)?.digest);
    });

    void it('verifies a bundle repeated in padded copies once, and each different one on its own', async () => {
      // One valid bundle copied thousands of times, each copy padded to differ, cost a full
      // verification per copy (16 ms each for a public-good bundle: minutes for a 256 MiB chain).
      const lines = await chain.lines();
      const padded = Array.from({ length: 50 }, (_, i) =>
        lines.map((l) => ({
          line: l.line + 100 * (i + 1),
          bundle: { ...(l.bundle as object), i },
        })),
      ).flat();
      let calls = 0;
      const counting: BundleChecker = {
        verify: (bundle, expectation) => {
          calls += 1;
          return checker.verify(bundle, expectation);
        },
      };
      const all = [...lines, ...padded];
      const verified = verifyChain({
        lines: all,
        checker: counting,
        requirements: requirements(),
        artifacts: [APP.input],
      });
      assert.equal(verified.records.length, 6);
      assert.equal(calls, lines.length);
      // A copy with another signature is no copy: verified on its own, and rejected.
      const forged = structuredClone(lines[3]?.bundle) as {
        dsseEnvelope: { signatures: { sig: string }[] };
      };
      const sig = forged.dsseEnvelope.signatures[0];
      assert.ok(sig !== undefined);
      sig.sig = Buffer.from(sig.sig, 'base64').reverse().toString('base64');
      assert.throws(
        () =>
          verifyChain({
            lines: [...all, { line: 9999, bundle: forged }],
            checker,
            requirements: requirements(),
            artifacts: [APP.input],
          }),
        hasCode('SIGNATURE_INVALID'),
      );
    });

    void it('verifies a partial chain when the requirements stop earlier', async () => {
      const partial = await TestChain.create(chain.run, await chain.text());
      await partial.filter((l) => !isStage('deploy')(l) && !isStage('decision')(l));
      const verified = await partial.verify(
        requirements({ stages: ['source', 'build', 'test', 'scan'] }),
      );
      assert.equal(verified.complete, false);
      assert.equal(verified.head.stage, 'scan');
    });
  });

  void describe('when parallel jobs branch and join', () => {
    void it('verifies two builds after the source joined by one test record', async () => {
      const source = await TestChain.create();
      await source.step('source');
      const arm = await source.fork();
      const amd = await source.step('build');
      const armBuild = await arm.step('build', { subjects: [APP_ARM.subject] });
      const joined = await TestChain.join(source, arm);
      const both = [APP.subject, APP_ARM.subject];
      const test = await joined.step('test', { subjects: both });
      for (const stage of ['scan', 'decision', 'deploy'])
        await joined.step(stage, { subjects: both });

      assert.deepEqual(
        test.statement.predicate.previous,
        [amd.digest, armBuild.digest].sort().map(linkRef),
      );
      const verified = await joined.verify(requirements(), [APP.input, APP_ARM.input]);
      assert.equal(verified.records.length, 7);
      assert.deepEqual(
        verified.records.map((r) => r.stage),
        ['source', 'build', 'build', 'test', 'scan', 'decision', 'deploy'],
      );
      assert.equal(verified.head.stage, 'deploy');
    });

    void it('rejects two heads that never join (CHAIN_FORK)', async () => {
      const source = await TestChain.create();
      await source.step('source');
      const stray = await source.fork();
      await stray.step('build', { subjects: [APP_ARM.subject] });
      await source.steps('build', 'test', 'scan', 'decision', 'deploy');
      const joined = await TestChain.join(source, stray);
      await joined.rejects('CHAIN_FORK', /2 heads/);
    });
  });

  void describe('when the stages are out of order', () => {
    void it('rejects a test record before any build (STAGE_ORDER)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'test', 'build', 'scan', 'decision', 'deploy');
      await chain.rejects('STAGE_ORDER', /test record comes before any build/);
    });

    void it('rejects a stage the requirements do not declare (STAGE_ORDER)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build', 'lint', 'test', 'scan', 'decision', 'deploy');
      // The signer may sign "lint" too, so only the stage list can refuse it.
      const identities = { ...requirements().identities, lint: [{ keyId: own.keyId }] };
      await chain.rejects('STAGE_ORDER', /"lint" is not one/, {
        stages: BUILTIN_STAGES,
        identities,
      });
    });

    void it('rejects a build after the test: an artifact rebuilt once its tests ran (STAGE_ORDER)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build', 'test');
      for (const stage of ['build', 'scan', 'decision', 'deploy']) {
        await chain.step(stage, { subjects: [APP_ARM.subject] });
      }
      // No artifact given: only the order of the stages can tell the rebuilt one was never tested.
      await chain.rejects(
        'STAGE_ORDER',
        /build record comes after a test record/,
        requirements(),
        [],
      );
    });
  });

  void describe('when the chain was cut short', () => {
    void it('rejects a chain without its deploy record (INCOMPLETE_CHAIN)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build', 'test', 'scan', 'decision');
      await chain.rejects('INCOMPLETE_CHAIN', /without deploy/);
    });

    void it('rejects a deploy record that is not terminal when deploy is required (INCOMPLETE_CHAIN)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build', 'test', 'scan', 'decision');
      await chain.step('deploy', { terminal: false });
      await chain.rejects('INCOMPLETE_CHAIN', /no terminal record/);
    });

    void it('rejects a chain whose genesis was removed (INCOMPLETE_CHAIN)', async () => {
      const { chain } = await completeChain();
      await chain.filter((l) => !isStage('source')(l));
      await chain.rejects('INCOMPLETE_CHAIN', /no genesis record/);
    });

    void it('rejects an empty chain (INCOMPLETE_CHAIN)', async () => {
      const chain = await TestChain.create();
      await chain.rejects('INCOMPLETE_CHAIN', /empty/);
    });
  });

  void describe('when the links are broken', () => {
    void it('rejects a record whose previous is not in the chain (CHAIN_BROKEN)', async () => {
      const { chain } = await completeChain();
      await chain.filter((l) => !isStage('build')(l));
      await chain.rejects('CHAIN_BROKEN', /is not in the chain/);
    });

    void it('rejects a record whose sequence skips ahead (CHAIN_BROKEN)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.forge('build', (p) => {
        p.sequence = 2;
      });
      await chain.rejects(
        'CHAIN_BROKEN',
        /sequence 2 does not follow/,
        requirements({ stages: ['source', 'build'] }),
      );
    });

    void it('rejects a record appended after the terminal record (CHAIN_BROKEN)', async () => {
      const { chain, results } = await completeChain();
      const [source, , , , , deploy] = results;
      assert.ok(source !== undefined && deploy !== undefined);
      await assert.rejects(chain.step('deploy'), hasCode('CHAIN_BROKEN', /is terminal/));
      await chain.forge('deploy', undefined, {
        link: {
          sequence: 6,
          genesis: { sha256: source.digest },
          previous: [linkRef(deploy.digest)],
        },
      });
      await chain.rejects('CHAIN_BROKEN', /follows the terminal record/);
    });
  });

  void describe('when the genesis is not this run’s', () => {
    void it('rejects two genesis records (GENESIS_INVALID)', async () => {
      const { chain } = await completeChain();
      await chain.forge(
        'source',
        (p) => {
          p.observations = { note: 'a second start' };
        },
        { link: { sequence: 0, previous: [] } },
      );
      await chain.rejects('GENESIS_INVALID', /2 genesis records/);
    });

    void it('rejects a chain that starts with another stage than the first required (GENESIS_INVALID)', async () => {
      const chain = await TestChain.create();
      await chain.forge('build');
      await chain.steps('test', 'scan', 'decision', 'deploy');
      await chain.rejects('GENESIS_INVALID', /must start with source/);
    });

    void it('rejects a genesis whose subject is not the run’s commit (GENESIS_INVALID)', async () => {
      const chain = await TestChain.create();
      await chain.step('source', { subjects: [{ digest: { gitCommit: 'f'.repeat(40) } }] });
      await chain.steps('build', 'test', 'scan', 'decision', 'deploy');
      await chain.rejects('GENESIS_INVALID', /not the run's commit/);
    });

    void it('rejects a record that names another genesis (GENESIS_INVALID)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.forge('build', (p) => {
        p.genesis = { sha256: 'e'.repeat(64) };
      });
      await chain.rejects(
        'GENESIS_INVALID',
        /names genesis/,
        requirements({ stages: ['source', 'build'] }),
      );
    });

    void it('rejects a record taken from another run signed with the same key (RUN_MISMATCH)', async () => {
      const { chain } = await completeChain(runBinding('1001'));
      const { chain: otherRun } = await completeChain(runBinding('2002'));
      const stolen = (await otherRun.lines()).find(isStage('test'));
      assert.ok(stolen !== undefined);
      const lines = await chain.lines();
      const spliced = lines.map((l) => (isStage('test')(l) ? stolen.bundle : l.bundle));
      const attacked = await TestChain.create(
        chain.run,
        spliced.map((b) => `${JSON.stringify(b)}\n`).join(''),
      );
      await attacked.rejects('RUN_MISMATCH', /run demo\/hello-sathos#2002/);
    });
  });

  void describe('when a stage’s signers are narrowed by certificate claims', () => {
    const issuer = 'https://token.actions.githubusercontent.com';
    const subject = `https://github.com/${REPOSITORY}/.github/workflows/release.yml@refs/heads/main`;
    const actor: ActorClaims = { kind: 'certificate', issuer, subject };
    // What keyless verification reports for a Fulcio certificate from a runner of this kind.
    const asRunner = (runnerEnvironment: string): BundleChecker => ({
      verify: (bundle, expectation) => {
        const { statement, payloadSha256 } = checker.verify(bundle, expectation);
        return {
          ...(statement === undefined ? {} : { statement }),
          ...(payloadSha256 === undefined ? {} : { payloadSha256 }),
          signer: { kind: 'certificate', issuer, subject, claims: { runnerEnvironment } },
        };
      },
    });
    // A policy's rule: the workflow, and only on GitHub's own runners.
    const rule = { issuer, subject, claims: { runnerEnvironment: 'github-hosted' } };
    const narrowed = requirements({
      identities: Object.fromEntries(BUILTIN_STAGES.map((s) => [s, [rule]])),
    });
    let lines: ChainLine[];
    before(async () => {
      const chain = await TestChain.create();
      for (const stage of BUILTIN_STAGES) await chain.step(stage, { actor });
      lines = await chain.lines();
    });
    const verifyAs = (runner: string): ChainVerification =>
      verifyChain({
        lines,
        checker: asRunner(runner),
        requirements: narrowed,
        artifacts: [APP.input],
      });

    void it('verifies records signed on a runner that carries the claim', () => {
      assert.equal(verifyAs('github-hosted').records.length, 6);
    });
    void it('rejects the same workflow signing on a self-hosted runner (UNTRUSTED_SIGNER), policy or not', () => {
      // The chain verifier enforced issuer and subject only: the claims waited for a policy
      // re-evaluation that a caller handing it a policy's rules need not run.
      assert.throws(
        () => verifyAs('self-hosted'),
        hasCode('UNTRUSTED_SIGNER', /runnerEnvironment=github-hosted/),
      );
    });
  });

  void describe('when the signer is not the one the policy allows', () => {
    void it('rejects a stage signed by a key not allowed for it (UNTRUSTED_SIGNER)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.step('build', { signer: other });
      await chain.steps('test', 'scan', 'decision', 'deploy');
      await chain.rejects('UNTRUSTED_SIGNER', /only key sha256:[0-9a-f]{64} may sign build/);
    });

    void it('rejects a stage whose allowed identities are empty (UNTRUSTED_SIGNER)', async () => {
      const { chain } = await completeChain();
      const identities = { ...onlyKey(own), scan: [] };
      await chain.rejects(
        'UNTRUSTED_SIGNER',
        /only nobody may sign scan/,
        requirements({ identities }),
      );
    });

    void it('rejects a stage named like an inherited property (UNTRUSTED_SIGNER, no crash)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.step('constructor');
      await chain.rejects('UNTRUSTED_SIGNER', /only nobody may sign constructor/);
    });

    void it('rejects an actor claiming another key than the signature proves (ACTOR_MISMATCH)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.step('build', { actor: keyActor(other) });
      await chain.steps('test', 'scan', 'decision', 'deploy');
      await chain.rejects('ACTOR_MISMATCH', /does not prove/);
    });
  });

  void describe('when a step recorded that it was denied', () => {
    void it('rejects the chain even without a policy to re-evaluate (POLICY_DENIED)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build');
      await chain.forge('test', (p) => {
        p.policy = {
          uri: 'policy.yaml',
          digest: { sha256: '0'.repeat(64) },
          decision: 'deny',
          reasons: ['tests-passed: the test stage must pass'],
        };
      });
      await chain.steps('scan', 'decision', 'deploy');
      await chain.rejects('POLICY_DENIED', /test step recorded a deny decision.*tests-passed/);
    });
  });

  void describe('when the artifacts are not what was built', () => {
    void it('rejects an artifact that no build produced (SUBJECT_MISMATCH)', async () => {
      const { chain } = await completeChain();
      await chain.rejects('SUBJECT_MISMATCH', /hello-sathos-arm64.tar/, requirements(), [
        APP_ARM.input,
      ]);
    });

    void it('rejects an artifact whose sha1 the records name beside another sha256 (SUBJECT_MISMATCH)', async () => {
      // The artifact shares a SHA-1 with what was built (a collision twin), not its SHA-256.
      const twin: ResourceDescriptor = {
        name: APP.subject.name ?? 'app',
        digest: {
          sha256: sha256Hex('what was really built'),
          sha1: APP.input.digests.find((d) => d.algorithm === 'sha1')?.hex ?? '',
        },
      };
      const chain = await TestChain.create();
      await chain.step('source');
      for (const stage of BUILTIN_STAGES.slice(1)) await chain.step(stage, { subjects: [twin] });
      await chain.rejects('SUBJECT_MISMATCH', /hello-sathos.tar is not a subject/);
    });

    void it('rejects a later deploy of a SHA-1 twin of what was built and deployed (SUBJECT_DISCONTINUITY)', async () => {
      // Staging got the built artifact; before production it was swapped for a file sharing only
      // its SHA-1, and the honest deploy step signed every digest of what it was handed.
      const sha1 = APP.input.digests.find((d) => d.algorithm === 'sha1')?.hex ?? '';
      const built: ResourceDescriptor = { ...APP.subject, digest: { ...APP.subject.digest, sha1 } };
      const twin: ResourceDescriptor = {
        name: APP.subject.name ?? 'app',
        digest: { sha256: sha256Hex('a file that shares only the sha1'), sha1 },
      };
      const chain = await TestChain.create();
      await chain.step('source');
      for (const stage of BUILTIN_STAGES.slice(1, -1))
        await chain.step(stage, { subjects: [built] });
      await chain.step('deploy', {
        subjects: [built],
        terminal: false,
        evidence: [],
      });
      await chain.step('deploy', { subjects: [twin] });
      await chain.rejects('SUBJECT_DISCONTINUITY', /no earlier build, test, scan, decision record/);
    });

    void it('rejects a test record naming a subject no build produced (SUBJECT_DISCONTINUITY)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build');
      await chain.step('test', { subjects: [APP_ARM.subject] });
      await chain.steps('scan', 'decision', 'deploy');
      await chain.rejects('SUBJECT_DISCONTINUITY', /test record names hello-sathos-arm64.tar/);
    });
    void it('rejects deploying a parallel build that was never tested, even with no artifact given', async () => {
      const source = await TestChain.create();
      await source.step('source');
      const arm = await source.fork();
      await source.step('build');
      await arm.step('build', { subjects: [APP_ARM.subject] });
      const joined = await TestChain.join(source, arm);
      await joined.step('test', { subjects: [APP.subject] });
      for (const stage of ['scan', 'decision', 'deploy'])
        await joined.step(stage, { subjects: [APP_ARM.subject] });
      await joined.rejects(
        'SUBJECT_DISCONTINUITY',
        /scan record names hello-sathos-arm64.tar that no earlier test record/,
        requirements(),
        [],
      );
    });
  });

  void describe('when an artifact is bound to nothing', () => {
    void it('rejects an artifact no record names when only the source stage is required (SUBJECT_MISMATCH)', async () => {
      // The attack: `--require-stage source --artifact <any file>` verified, and the VSA named the file.
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.rejects(
        'SUBJECT_MISMATCH',
        /hello-sathos.tar is not a subject of any record: the chain binds nothing to it/,
        requirements({ stages: ['source'] }),
      );
    });

    void it('rejects an artifact a full chain never names, before any stage check (SUBJECT_MISMATCH)', async () => {
      const { chain } = await completeChain();
      await chain.rejects('SUBJECT_MISMATCH', /binds nothing/, requirements(), [APP_ARM.input]);
    });

    void it('binds an artifact the source record itself names when only the source is required', async () => {
      const chain = await TestChain.create();
      await chain.step('source', { subjects: [COMMIT_SUBJECT, APP.subject] });
      const verified = await chain.verify(requirements({ stages: ['source'] }));
      assert.deepEqual(
        verified.artifacts.map((a) => a.name),
        ['hello-sathos.tar'],
      );
    });
  });

  void describe('when the caller demands a deploy environment', () => {
    async function deployedTo(environment: string | undefined): Promise<TestChain> {
      const chain = await TestChain.create();
      await chain.steps('source', 'build', 'test', 'scan', 'decision');
      await chain.forge('deploy', (p) => {
        if (environment !== undefined) p.observations = { environment };
      });
      return chain;
    }

    void it('verifies a deploy record that names exactly that environment', async () => {
      const chain = await deployedTo('production');
      const verified = await chain.verify(requirements({ environment: 'production' }));
      assert.equal(verified.head.stage, 'deploy');
    });

    void it('rejects a deploy record that names no environment (ENVIRONMENT_MISMATCH)', async () => {
      const chain = await deployedTo(undefined);
      await chain.rejects(
        'ENVIRONMENT_MISMATCH',
        /deploy record names no environment, not "production"/,
        requirements({ environment: 'production' }),
      );
    });

    void it('rejects a deploy record that names another environment (ENVIRONMENT_MISMATCH)', async () => {
      const chain = await deployedTo('staging');
      await chain.rejects(
        'ENVIRONMENT_MISMATCH',
        /names environment "staging", not "production"/,
        requirements({ environment: 'production' }),
      );
    });

    void it('rejects a chain with no deploy record at all (ENVIRONMENT_MISMATCH)', async () => {
      const chain = await TestChain.create();
      await chain.steps('source', 'build', 'test');
      await chain.rejects(
        'ENVIRONMENT_MISMATCH',
        /no deploy record/,
        requirements({ stages: ['source', 'build', 'test'], environment: 'production' }),
      );
    });
  });

  void describe('when continuity shares digest sets between branches', () => {
    void it('keeps a sibling branch’s subjects out of another branch’s ancestry after a fork', async () => {
      // build(APP, ARM) → test(APP); then test(APP) on one branch, test(ARM) on the other: the scan
      // on the first branch names ARM, which no test on its own path named.
      const both = [APP.subject, APP_ARM.subject];
      const main = await TestChain.create();
      await main.step('source');
      await main.step('build', { subjects: both });
      await main.step('test', { subjects: [APP.subject] });
      const side = await main.fork();
      await main.step('test', { subjects: [APP.subject] });
      await side.step('test', { subjects: [APP_ARM.subject] });
      await main.step('scan', { subjects: [APP_ARM.subject] });
      const joined = await TestChain.join(main, side);
      await joined.step('decision', { subjects: both });
      await joined.step('deploy', { subjects: both });
      await joined.rejects(
        'SUBJECT_DISCONTINUITY',
        /scan record names hello-sathos-arm64.tar that no earlier test record/,
        requirements(),
        [APP.input, APP_ARM.input],
      );
    });

    void it('verifies branches that each tested one artifact once they join', async () => {
      const both = [APP.subject, APP_ARM.subject];
      const main = await TestChain.create();
      await main.step('source');
      await main.step('build', { subjects: both });
      const side = await main.fork();
      await main.step('test', { subjects: [APP.subject] });
      await side.step('test', { subjects: [APP_ARM.subject] });
      const joined = await TestChain.join(main, side);
      for (const stage of ['scan', 'decision', 'deploy'])
        await joined.step(stage, { subjects: both });
      const verified = await joined.verify(requirements(), [APP.input, APP_ARM.input]);
      assert.equal(verified.records.length, 7);
    });
  });

  void describe('when the evidence does not hold', () => {
    void it('rejects an evidence pointer to a bundle missing from the chain (EVIDENCE_INVALID)', async () => {
      const { chain } = await completeChain();
      await chain.filter((l) => predicateTypeOf(l) !== SLSA_PROVENANCE_V1);
      await chain.rejects('EVIDENCE_INVALID', /is not in the chain/);
    });

    void it('rejects evidence signed by another key than its record (EVIDENCE_INVALID)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      const [provenance] = evidenceFor('build', [APP.subject]);
      assert.ok(provenance !== undefined);
      const digest = await chain.sign(provenance, other);
      await chain.forge('build', (p) => {
        p.evidence = [{ predicateType: SLSA_PROVENANCE_V1, digest: { sha256: digest } }];
      });
      await chain.steps('test', 'scan', 'decision', 'deploy');
      await chain.rejects('EVIDENCE_INVALID', /not by the record's signer/);
    });

    void it('rejects evidence about other subjects than its record (EVIDENCE_INVALID)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      const [provenance] = evidenceFor('build', [APP_ARM.subject]);
      assert.ok(provenance !== undefined);
      const digest = await chain.sign(provenance);
      await chain.forge('build', (p) => {
        p.evidence = [{ predicateType: SLSA_PROVENANCE_V1, digest: { sha256: digest } }];
      });
      await chain.steps('test', 'scan', 'decision', 'deploy');
      await chain.rejects('EVIDENCE_INVALID', /about other subjects/);
    });

    void it('rejects evidence of another predicate type than the record says (EVIDENCE_INVALID)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      const results = await chain.sign(testResult([APP.subject], { passed: [], failed: ['all'] }));
      await chain.forge('build', (p) => {
        p.evidence = [{ predicateType: SLSA_PROVENANCE_V1, digest: { sha256: results } }];
      });
      await chain.steps('test', 'scan', 'decision', 'deploy');
      await chain.rejects(
        'EVIDENCE_INVALID',
        /is https:\/\/in-toto.io\/attestation\/test-result\/v0.1/,
      );
    });
  });

  void describe('when a bundle is not what it claims', () => {
    void it('rejects a record whose payload was altered after signing (SIGNATURE_INVALID)', async () => {
      const { chain } = await completeChain();
      const lines = await chain.lines();
      const tampered = lines.map((l) =>
        isStage('build')(l)
          ? withPredicate(l.bundle, (p) => (p.observations = { ok: true }))
          : l.bundle,
      );
      const attacked = await TestChain.create(
        chain.run,
        tampered.map((b) => `${JSON.stringify(b)}\n`).join(''),
      );
      await attacked.rejects('SIGNATURE_INVALID');
    });

    void it('rejects a transition record with a bad field (MALFORMED_STATEMENT)', async () => {
      const chain = await TestChain.create();
      await chain.step('source');
      await chain.forge('build', (p) => {
        p.stage = 'Build!';
      });
      await chain.rejects('MALFORMED_STATEMENT', /predicate\.stage/);
    });

    void it('rejects a DSSE bundle that is not an in-toto statement (UNSUPPORTED_BUNDLE)', async () => {
      const { chain } = await completeChain();
      await chain.store.append(await signPayload(Buffer.from('hello'), 'text/plain', own));
      await chain.rejects('UNSUPPORTED_BUNDLE', /DSSE in-toto/);
    });

    void it('rejects a message-signature bundle (UNSUPPORTED_BUNDLE)', async () => {
      const { chain } = await completeChain();
      const builder = new MessageSignatureBundleBuilder({ signer: own.signer, witnesses: [] });
      const bundle = bundleToJSON(await builder.create({ data: Buffer.from('hello') }));
      await chain.store.append(bundle);
      await chain.rejects('UNSUPPORTED_BUNDLE');
    });

    void it('rejects a line that is not a bundle (MALFORMED_BUNDLE)', async () => {
      const { chain } = await completeChain();
      await chain.store.append({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        dsseEnvelope: {},
      });
      await chain.rejects('MALFORMED_BUNDLE');
    });

    void it('rejects a bundle of an unknown media type (UNSUPPORTED_BUNDLE)', async () => {
      const { chain } = await completeChain();
      await chain.store.append({ mediaType: 'application/vnd.dev.sigstore.bundle.v9+json' });
      await chain.rejects('UNSUPPORTED_BUNDLE', /unsupported bundle media type/);
    });

    void it('rejects a transition record in an older bundle version than v0.3 (UNSUPPORTED_BUNDLE)', async () => {
      const { chain } = await completeChain();
      const lines = (await chain.lines()).map(({ line, bundle }) =>
        predicateOf({ line, bundle })?.stage === 'test'
          ? {
              line,
              bundle: {
                ...(bundle as object),
                mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
              },
            }
          : { line, bundle },
      );
      assert.throws(
        () => verifyOrThrow(lines, requirements(), [APP.input], 'chain'),
        hasCode('UNSUPPORTED_BUNDLE', /v0\.3/),
      );
    });
  });
});

/** A copy of a bundle whose signed predicate was changed, signature left as it was. */
function withPredicate(
  bundle: unknown,
  edit: (predicate: Record<string, unknown>) => void,
): unknown {
  const copy = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
  const statement = JSON.parse(
    Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8'),
  ) as {
    predicate: Record<string, unknown>;
  };
  edit(statement.predicate);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return copy;
}
