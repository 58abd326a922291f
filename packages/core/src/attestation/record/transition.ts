// The SATHOS transition record: the in-toto predicate that every pipeline step signs, binding the
// step to its predecessors by digest. The exact format is specified in docs/spec.md.
import { SathosError } from '../../errors.js';
import type { CertificateClaims, SignerIdentity } from '../../identity/signers/signer-identity.js';
import type { ResourceDescriptor, Statement } from './statement.js';
import { STATEMENT_TYPE, statementProblems } from './statement.js';

/** Owned by SATHOS; versioned in the path. Spec: docs/spec.md. */
export const TRANSITION_PREDICATE_TYPE = 'https://sathos.dev/attestation/transition/v1';

export const BUILTIN_STAGES = ['source', 'build', 'test', 'scan', 'decision', 'deploy'] as const;
export type BuiltinStage = (typeof BUILTIN_STAGES)[number];

/** Stage names: the built-ins or a policy-declared custom stage (lowercase, digits, dashes). */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** Upper bounds that keep a hostile record from costing more than it is worth. */
export const RECORD_LIMITS = {
  maxPrevious: 64,
  maxSubjects: 1024,
  maxEvidence: 64,
  maxReasons: 256,
  maxSequence: 1_000_000,
} as const;

/** The run every record of one chain belongs to; identical across the chain. */
export interface RunBinding {
  readonly repository: string;
  readonly workflowRef: string;
  readonly runId: string;
  readonly runAttempt: number;
  /** The commit the run builds: 40 (SHA-1) or 64 (SHA-256) hex digits. */
  readonly commit: string;
}

/** A link to a predecessor: SHA-256 of its exact DSSE payload bytes. */
export interface LinkRef {
  readonly digest: { readonly sha256: string };
}

/** What the signer claims to be; the verifier checks every claim against the verified signer. */
export type ActorClaims =
  | { readonly kind: 'key'; readonly keyId: string }
  | {
      readonly kind: 'certificate';
      readonly issuer: string;
      readonly subject: string;
      readonly claims?: CertificateClaims;
    };

export type PolicyVerdict = 'allow' | 'deny';

export interface PolicyDecisionRef {
  readonly uri: string;
  readonly digest: { readonly sha256: string };
  readonly decision: PolicyVerdict;
  readonly reasons: readonly string[];
}

/** A standard attestation this step also produced, kept in the chain beside the record. */
export interface EvidenceRef {
  readonly predicateType: string;
  readonly digest: { readonly sha256: string };
  readonly uri?: string;
}

export interface TransitionPredicate {
  readonly stage: string;
  readonly run: RunBinding;
  readonly sequence: number;
  /** Link digest of record 0; absent on record 0 itself. */
  readonly genesis?: { readonly sha256: string };
  readonly previous: readonly LinkRef[];
  readonly actor: ActorClaims;
  readonly policy?: PolicyDecisionRef;
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly evidence: readonly EvidenceRef[];
  readonly terminal?: boolean;
}

export type TransitionStatement = Statement<TransitionPredicate>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isSha256 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function sha256RefProblems(value: unknown, path: string): string[] {
  return isObject(value) && isSha256(value.sha256)
    ? []
    : [`${path} must be {"sha256": <64 lowercase hex>}`];
}

function runProblems(value: unknown): string[] {
  if (!isObject(value)) return ['predicate.run must be an object'];
  const problems: string[] = [];
  for (const key of ['repository', 'workflowRef', 'runId'] as const) {
    if (!isNonEmpty(value[key])) problems.push(`predicate.run.${key} must be a non-empty string`);
  }
  if (!Number.isSafeInteger(value.runAttempt) || (value.runAttempt as number) < 1) {
    problems.push('predicate.run.runAttempt must be a positive integer');
  }
  if (typeof value.commit !== 'string' || !/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(value.commit)) {
    problems.push('predicate.run.commit must be a 40 or 64 hex digit commit id');
  }
  return problems;
}

function actorProblems(value: unknown): string[] {
  if (!isObject(value)) return ['predicate.actor must be an object'];
  if (value.kind === 'key') {
    return typeof value.keyId === 'string' && /^sha256:[0-9a-f]{64}$/.test(value.keyId)
      ? []
      : ['predicate.actor.keyId must be sha256:<64 hex>'];
  }
  if (value.kind === 'certificate') {
    const problems: string[] = [];
    if (!isNonEmpty(value.issuer))
      problems.push('predicate.actor.issuer must be a non-empty string');
    if (!isNonEmpty(value.subject))
      problems.push('predicate.actor.subject must be a non-empty string');
    if (value.claims !== undefined) {
      if (!isObject(value.claims)) problems.push('predicate.actor.claims must be an object');
      else if (Object.values(value.claims).some((c) => typeof c !== 'string')) {
        problems.push('predicate.actor.claims values must be strings');
      }
    }
    return problems;
  }
  return ['predicate.actor.kind must be "key" or "certificate"'];
}

function policyProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (!isObject(value)) return ['predicate.policy must be an object'];
  const problems = sha256RefProblems(value.digest, 'predicate.policy.digest');
  if (!isNonEmpty(value.uri)) problems.push('predicate.policy.uri must be a non-empty string');
  if (value.decision !== 'allow' && value.decision !== 'deny') {
    problems.push('predicate.policy.decision must be "allow" or "deny"');
  }
  const reasons = value.reasons;
  if (!Array.isArray(reasons) || reasons.some((r) => typeof r !== 'string')) {
    problems.push('predicate.policy.reasons must be an array of strings');
  } else if (reasons.length > RECORD_LIMITS.maxReasons) {
    problems.push(`predicate.policy.reasons has more than ${RECORD_LIMITS.maxReasons} entries`);
  }
  return problems;
}

function listProblems(
  value: unknown,
  path: string,
  max: number,
  item: (v: unknown, p: string) => string[],
): string[] {
  if (!Array.isArray(value)) return [`${path} must be an array`];
  if (value.length > max) return [`${path} has more than ${max} entries`];
  return value.flatMap((v, i) => item(v, `${path}[${i}]`));
}

function evidenceProblems(value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const problems = sha256RefProblems(value.digest, `${path}.digest`);
  if (typeof value.predicateType !== 'string' || !URL.canParse(value.predicateType)) {
    problems.push(`${path}.predicateType must be a URI`);
  }
  if (value.uri !== undefined && typeof value.uri !== 'string')
    problems.push(`${path}.uri must be a string`);
  return problems;
}

/** Every problem of a transition predicate, including the genesis/sequence/previous invariants. */
export function transitionPredicateProblems(value: unknown): string[] {
  if (!isObject(value)) return ['predicate must be an object'];
  const problems: string[] = [];
  if (typeof value.stage !== 'string' || !STAGE_PATTERN.test(value.stage)) {
    problems.push('predicate.stage must match ^[a-z][a-z0-9-]{0,62}$');
  }
  problems.push(...runProblems(value.run));
  const sequence = value.sequence;
  const validSequence =
    Number.isSafeInteger(sequence) &&
    (sequence as number) >= 0 &&
    (sequence as number) <= RECORD_LIMITS.maxSequence;
  if (!validSequence) problems.push('predicate.sequence must be a non-negative integer');
  problems.push(
    ...listProblems(value.previous, 'predicate.previous', RECORD_LIMITS.maxPrevious, (v, p) =>
      isObject(v) ? sha256RefProblems(v.digest, `${p}.digest`) : [`${p} must be an object`],
    ),
  );
  if (validSequence && Array.isArray(value.previous)) {
    if (sequence === 0) {
      if (value.previous.length > 0)
        problems.push('the genesis record (sequence 0) has no previous');
      if (value.genesis !== undefined)
        problems.push('the genesis record (sequence 0) has no genesis field');
    } else {
      if (value.previous.length === 0)
        problems.push('a record after the genesis must name its previous');
      problems.push(...sha256RefProblems(value.genesis, 'predicate.genesis'));
    }
  }
  problems.push(...actorProblems(value.actor));
  problems.push(...policyProblems(value.policy));
  if (value.observations !== undefined && !isObject(value.observations)) {
    problems.push('predicate.observations must be an object');
  }
  problems.push(
    ...listProblems(
      value.evidence,
      'predicate.evidence',
      RECORD_LIMITS.maxEvidence,
      evidenceProblems,
    ),
  );
  if (value.terminal !== undefined && typeof value.terminal !== 'boolean') {
    problems.push('predicate.terminal must be a boolean');
  }
  return problems;
}

/** Asserts a statement is a well-formed transition record; lists every bad field in one error. */
export function assertTransitionStatement(
  value: unknown,
  where?: string,
): asserts value is TransitionStatement {
  const problems = statementProblems(value);
  // Every bad field at once: the predicate is checked even when the statement around it is bad.
  if (isObject(value)) {
    if (value.predicateType !== TRANSITION_PREDICATE_TYPE) {
      problems.push(`predicateType must be ${TRANSITION_PREDICATE_TYPE}`);
    }
    if (isObject(value.predicate)) problems.push(...transitionPredicateProblems(value.predicate));
    if (Array.isArray(value.subject) && value.subject.length > RECORD_LIMITS.maxSubjects) {
      problems.push(`subject has more than ${RECORD_LIMITS.maxSubjects} entries`);
    }
  }
  if (problems.length > 0) {
    throw new SathosError(
      'MALFORMED_STATEMENT',
      `not a valid SATHOS transition record: ${problems.join('; ')}`,
      where === undefined ? {} : { where },
    );
  }
}

/** The actor claims a signer should put in its records. */
export function actorFor(signer: SignerIdentity): ActorClaims {
  return signer.kind === 'key'
    ? { kind: 'key', keyId: signer.keyId }
    : {
        kind: 'certificate',
        issuer: signer.issuer,
        subject: signer.subject,
        claims: signer.claims,
      };
}

/** The signer an actor claims to be: what a step's record will be verified against. */
export function signerFromActor(actor: ActorClaims): SignerIdentity {
  return actor.kind === 'key'
    ? { kind: 'key', keyId: actor.keyId }
    : {
        kind: 'certificate',
        issuer: actor.issuer,
        subject: actor.subject,
        claims: actor.claims ?? {},
      };
}

export interface TransitionInput {
  readonly stage: string;
  readonly subjects: readonly ResourceDescriptor[];
  readonly run: RunBinding;
  readonly link: NextLink;
  readonly actor: ActorClaims;
  readonly policy?: PolicyDecisionRef;
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly evidence?: readonly EvidenceRef[];
  readonly terminal?: boolean;
}

/** Where a new record attaches: computed from the chain so far by `nextLink` in chain.ts. */
export interface NextLink {
  readonly sequence: number;
  readonly genesis?: { readonly sha256: string };
  readonly previous: readonly LinkRef[];
}

/** Builds (and validates) the statement of a transition record. */
export function buildTransitionStatement(input: TransitionInput): TransitionStatement {
  const predicate: TransitionPredicate = {
    stage: input.stage,
    run: input.run,
    sequence: input.link.sequence,
    ...(input.link.genesis === undefined ? {} : { genesis: input.link.genesis }),
    previous: input.link.previous,
    actor: input.actor,
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.observations === undefined ? {} : { observations: input.observations }),
    evidence: input.evidence ?? [],
    ...(input.terminal === true ? { terminal: true } : {}),
  };
  const statement = {
    _type: STATEMENT_TYPE,
    subject: input.subjects,
    predicateType: TRANSITION_PREDICATE_TYPE,
    predicate,
  } as const;
  assertTransitionStatement(statement, `new ${input.stage} record`);
  return statement;
}
