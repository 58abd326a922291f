// The transition record's checks: every problem of a predicate (including the genesis, sequence and
// previous invariants), and the assertion that lists them all in one MALFORMED_STATEMENT error.
import { SathosError } from '../../errors.js';
import { statementProblems } from './statement.js';
import type { TransitionStatement } from './transition.js';
import { RECORD_LIMITS, STAGE_PATTERN, TRANSITION_PREDICATE_TYPE } from './transition-format.js';

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
