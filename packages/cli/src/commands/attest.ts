// `sathos attest`: one pipeline step on any machine. It verifies the chain it is handed with the
// same trust flags as verify-chain, names and hashes the step's subjects, reads its evidence,
// decides each record under the policy, signs, and appends every bundle at once (docs/cli.md).
// Exit 0 appended; 1 denied (the denial is appended, per docs/spec.md §5.2) or the chain handed
// does not verify (nothing appended); 2 unusable input (nothing appended).
import type { AttestResult, RunBinding } from '@sathos/core';
import {
  PolicyDeniedError,
  PolicyInvalidError,
  STAGE_PATTERN,
  SathosError,
  StepDeniedError,
  attestStep,
  decodeRecords,
} from '@sathos/core';
import type { HashProgress } from '@sathos/node';
import { JsonlFileStore, collectSubjects } from '@sathos/node';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import type { SigningFlags } from '../signing.js';
import { signerFromFlags } from '../signing.js';
import type { EvidenceFlags } from './attest-evidence.js';
import { evidenceFromFlags } from './attest-evidence.js';
import { invalidPolicyOutcome } from './policy-check.js';
import type { TrustFlags } from './verify-chain.js';
import { assertFlagsAgree, chainTrustFromFlags } from './verify-chain.js';

export interface AttestOptions
  extends SigningFlags, EvidenceFlags, Omit<TrustFlags, 'key' | 'environment'> {
  readonly stage: string;
  readonly chain: string;
  readonly subjectPath?: readonly string[];
  readonly subjectChecksums?: string;
  readonly subjectDigest?: readonly string[];
  readonly subjectImage?: readonly string[];
  /** Public keys trusted for the records before this one (verify-chain's --key). */
  readonly verifyKey?: readonly string[];
  /** Also name each file by SHA-512. */
  readonly sha512?: boolean;
  /** Where subject paths are relative to (default: the working directory). */
  readonly workspace?: string;
}

/** What the command takes from its surroundings: the environment, the directory, progress. */
export interface AttestContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly onProgress?: (progress: HashProgress) => void;
  readonly now?: () => Date;
}

/** verify-chain's trust flags from attest's: its --key signs, so trusted keys are --verify-key. */
function trustFlags(o: AttestOptions): TrustFlags {
  const rest: Omit<AttestOptions, 'key'> & { key?: string } = { ...o };
  delete rest.key;
  return { ...rest, ...(o.verifyKey === undefined ? {} : { key: o.verifyKey }) } as TrustFlags;
}

function assertOptions(o: AttestOptions): void {
  if (!STAGE_PATTERN.test(o.stage)) {
    throw new SathosError(
      'USAGE',
      `--stage ${o.stage} is not a stage name (lowercase, digits, dashes)`,
    );
  }
  if (o.stage === 'source') {
    throw new SathosError(
      'USAGE',
      'the source stage starts a chain: use sathos verify-commits --chain',
    );
  }
  const kinds = [
    (o.subjectPath ?? []).length > 0,
    o.subjectChecksums !== undefined,
    (o.subjectDigest ?? []).length > 0,
    (o.subjectImage ?? []).length > 0,
  ].filter(Boolean).length;
  if (kinds > 1) {
    throw new SathosError(
      'USAGE',
      'name the subjects one way: --subject-path, --subject-checksums, --subject-digest or --subject-image',
    );
  }
  if ((o.predicate === undefined) !== (o.predicateType === undefined)) {
    throw new SathosError('USAGE', '--predicate <file> and --predicate-type <uri> go together');
  }
  assertFlagsAgree(trustFlags(o));
}

/** The run the chain belongs to: its genesis's (verified with the whole chain before use). */
function chainRun(
  store: JsonlFileStore,
  lines: Awaited<ReturnType<JsonlFileStore['read']>>,
): RunBinding {
  if (lines.length === 0) {
    throw new SathosError(
      'USAGE',
      'the chain is empty: start it with sathos verify-commits <range> --chain <file> (the source record)',
      { where: store.location },
    );
  }
  const genesis = decodeRecords(lines, store.location).find(
    (r) => r.statement.predicate.sequence === 0,
  );
  if (genesis === undefined) {
    throw new SathosError('GENESIS_INVALID', 'the chain holds no genesis (source) record', {
      where: store.location,
    });
  }
  return genesis.statement.predicate.run;
}

function appendedOutcome(o: AttestOptions, result: AttestResult, signer: string): Outcome {
  const records = result.records.map((r) => ({
    digest: `sha256:${r.digest}`,
    sequence: r.sequence,
    subjects: r.statement.subject.length,
    evidence: r.evidence.map((e) => e.predicateType),
  }));
  const reason = `${o.stage} step appended to ${o.chain}: ${result.subjects} subject(s) in ${records.length} record(s), ${result.bundles.length} bundle(s), signed by ${signer}`;
  const lines = [
    reason,
    ...records.map(
      (r) =>
        `  record ${r.digest} (sequence ${r.sequence}): ${r.subjects} subject(s)${r.evidence.length > 0 ? `, evidence ${r.evidence.join(', ')}` : ''}`,
    ),
  ];
  return success(
    'allowed',
    reason,
    { chain: o.chain, stage: o.stage, subjects: result.subjects, records },
    lines,
  );
}

async function attest(o: AttestOptions, context: AttestContext): Promise<Outcome> {
  assertOptions(o);
  const now = context.now ?? (() => new Date());
  const started = now();
  const signer = await signerFromFlags(o);
  const trust = await chainTrustFromFlags(trustFlags(o), signer.publicKeys);
  const store = new JsonlFileStore(o.chain);
  const run = chainRun(store, await store.read());
  const evidence = await evidenceFromFlags(o, o.stage, run, started);
  const artifactsList = context.env.GITHUB_ARTIFACTS_LIST?.trim();
  const subjects = await collectSubjects(
    {
      ...(o.subjectPath === undefined ? {} : { paths: o.subjectPath }),
      ...(o.subjectChecksums === undefined ? {} : { checksums: o.subjectChecksums }),
      ...(o.subjectDigest === undefined ? {} : { digests: o.subjectDigest }),
      ...(o.subjectImage === undefined ? {} : { images: o.subjectImage }),
      ...(artifactsList === undefined || artifactsList === '' ? {} : { artifactsList }),
    },
    {
      workspace: o.workspace ?? context.cwd,
      ...(o.sha512 === true ? { extra: ['sha512'] as const } : {}),
      ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress }),
    },
  );
  const result = await attestStep(
    {
      stage: o.stage,
      subjects,
      run,
      evidence,
      ...(trust.policy === undefined ? {} : { policy: trust.policy }),
    },
    {
      store,
      signer,
      trust: { checker: trust.checker, requirements: trust.requirements },
    },
  );
  return appendedOutcome(o, result, signer.description);
}

export async function attestCommand(o: AttestOptions, context: AttestContext): Promise<Outcome> {
  try {
    return await attest(o, context);
  } catch (error) {
    if (error instanceof PolicyInvalidError) return invalidPolicyOutcome(error, 'allowed');
    if (error instanceof StepDeniedError) {
      return failure('allowed', error, {
        chain: o.chain,
        stage: o.stage,
        denied: { record: `sha256:${error.appended.digest}`, results: error.decision.results },
      });
    }
    if (error instanceof PolicyDeniedError) return failure('allowed', error, { chain: o.chain });
    return failure('allowed', error, { chain: o.chain });
  }
}
