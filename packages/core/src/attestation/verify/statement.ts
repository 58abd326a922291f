// What a verified DSSE payload says, and whether it names the artifact: sigstore-js proves who
// signed the payload but never binds it to an artifact, so the subject check lives here.
// in-toto Statement v1 is validated strictly, except that an unset or null predicate reads as {}
// (the spec treats unset as set-but-empty; every PyPI publish attestation says "predicate": null);
// v0.1 (still in wide use: npm, SLSA v0.2 provenance) is validated for the same shape and exposed
// only through `subjects` and `predicateType`.
import { SathosError } from '../../errors.js';
import { jsonNestingProblem } from '../../json-nesting.js';
import {
  digestSetNames,
  hashBytes,
  isDigestAlgorithm,
  type Digest,
  type DigestAlgorithm,
} from '../../digest.js';
import {
  STATEMENT_MAX_DEPTH,
  STATEMENT_TYPE,
  assertStatement,
  statementProblems,
  type ResourceDescriptor,
  type Statement,
} from '../record/statement.js';

export const STATEMENT_V01_TYPE = 'https://in-toto.io/Statement/v0.1';

/** The parts of an in-toto statement every version shares. */
export interface StatementView {
  readonly statementType: string;
  /** Set only for in-toto Statement v1. */
  readonly statement?: Statement;
  readonly subjects: readonly ResourceDescriptor[];
  readonly predicateType: string;
}

/** What the artifact is known by: its bytes, or digests the caller computed or was given. */
export type ArtifactEvidence =
  { readonly bytes: Uint8Array } | { readonly digests: readonly Digest[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(message: string, where: string | undefined, cause?: unknown): SathosError {
  return new SathosError('MALFORMED_STATEMENT', message, {
    ...(where !== undefined && { where }),
    ...(cause !== undefined && { cause }),
  });
}

/** Parses and validates an in-toto payload (v1 or v0.1). */
export function readStatement(payload: Buffer, where?: string): StatementView {
  const text = payload.toString('utf8');
  const deep = jsonNestingProblem(text, STATEMENT_MAX_DEPTH);
  if (deep !== undefined) throw malformed(`the in-toto payload ${deep}`, where);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw malformed('the in-toto payload is not valid JSON', where, cause);
  }
  const type = (json as { _type?: unknown } | null)?._type;
  if (type === STATEMENT_V01_TYPE) {
    const asV1 = {
      ...(json as object),
      _type: STATEMENT_TYPE,
      predicate: (json as { predicate?: unknown }).predicate ?? {},
    };
    const problems = statementProblems(asV1);
    if (problems.length > 0) {
      throw malformed(`not a valid in-toto Statement v0.1: ${problems.join('; ')}`, where);
    }
    const { subject, predicateType } = asV1 as unknown as Statement;
    return { statementType: STATEMENT_V01_TYPE, subjects: subject, predicateType };
  }
  // Unset (or null, as PyPI writes it) is the empty predicate; transition records stay strict.
  const predicate = (json as { predicate?: unknown } | null)?.predicate;
  if (isObject(json) && (predicate === null || predicate === undefined)) {
    json = { ...json, predicate: {} };
  }
  assertStatement(json, where);
  return {
    statementType: STATEMENT_TYPE,
    statement: json,
    subjects: json.subject,
    predicateType: json.predicateType,
  };
}

/**
 * The digests of the artifact under every algorithm the subjects use, and always SHA-256: holding
 * the bytes, the caller knows a strong digest, so a subject agreeing on SHA-1 alone (a collision
 * twin's) binds nothing. Bytes are hashed at most once per algorithm.
 */
function candidateDigests(
  artifact: ArtifactEvidence,
  subjects: readonly ResourceDescriptor[],
): Digest[] {
  if ('digests' in artifact) return [...artifact.digests];
  const algorithms = new Set<DigestAlgorithm>(['sha256']);
  for (const subject of subjects) {
    for (const name of Object.keys(subject.digest ?? {})) {
      if (isDigestAlgorithm(name)) algorithms.add(name);
    }
  }
  return [...algorithms].map((algorithm) => ({
    algorithm,
    hex: hashBytes(algorithm, artifact.bytes),
  }));
}

/** True when some subject names the artifact by some digest both sides know. */
export function subjectsName(
  subjects: readonly ResourceDescriptor[],
  artifact: ArtifactEvidence,
): boolean {
  const digests = candidateDigests(artifact, subjects);
  return subjects.some((s) => s.digest !== undefined && digestSetNames(s.digest, digests));
}

/**
 * For a non-in-toto DSSE payload the signed payload itself is the artifact: every digest known of
 * the artifact must be the payload's (agreeing on SHA-1 alone is a collision twin's trick).
 */
export function payloadIs(payload: Buffer, artifact: ArtifactEvidence): boolean {
  if ('bytes' in artifact) return Buffer.from(artifact.bytes).equals(payload);
  return (
    artifact.digests.length > 0 &&
    artifact.digests.every((d) => hashBytes(d.algorithm, payload) === d.hex)
  );
}
