// What a step attests to: named artifacts with their digests. Every source of subjects (files,
// a checksums file, explicit digests, image references) ends here, so a name is validated, a
// duplicate dropped and a conflict refused in one place, and the order is always the same.
import { isControl, SathosError } from '../../errors.js';

/** The digests a subject may carry: SHA-256 always, SHA-512 when asked for. */
export type SubjectAlgorithm = 'sha256' | 'sha512';

export const SUBJECT_HEX_LENGTH: Readonly<Record<SubjectAlgorithm, number>> = {
  sha256: 64,
  sha512: 128,
};

/** A subject of a step's record: an in-toto ResourceDescriptor with a name and a digest. */
export interface Subject {
  readonly name: string;
  readonly digest: Readonly<Partial<Record<SubjectAlgorithm, string>>>;
}

/**
 * Bounds on what one step may name. A chain file holds at most 256 MiB (docs/spec.md §5): 250,000
 * subjects of a typical name fit in it a few times over, more would not.
 */
export const SUBJECT_LIMITS = {
  maxSubjects: 250_000,
  /** Bytes of one name (UTF-8): a path as long as Linux allows. */
  maxNameBytes: 4096,
} as const;

/** Why a name is unusable as a subject name, or undefined when it is fine. */
export function subjectNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the subject name is empty';
  if (Buffer.byteLength(name) > SUBJECT_LIMITS.maxNameBytes) {
    return `the subject name is longer than ${SUBJECT_LIMITS.maxNameBytes} bytes`;
  }
  for (let i = 0; i < name.length; i += 1) {
    // A line break or terminal control in a name would forge lines in logs and summaries.
    if (isControl(name.charCodeAt(i))) return 'the subject name holds a control character';
  }
  return undefined;
}

/** A subject from a name and one digest, both checked; `where` names the input it came from. */
export function makeSubject(
  name: string,
  algorithm: SubjectAlgorithm,
  hex: string,
  where: string,
): Subject {
  const problem = subjectNameProblem(name);
  if (problem !== undefined) throw new SathosError('SUBJECT_INVALID', problem, { where });
  const length = SUBJECT_HEX_LENGTH[algorithm];
  if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new SathosError(
      'SUBJECT_INVALID',
      `the ${algorithm} digest of ${name} must be ${length} hex digits`,
      { where },
    );
  }
  return { name, digest: { [algorithm]: hex.toLowerCase() } };
}

function sameDigest(a: Subject['digest'], b: Subject['digest']): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<SubjectAlgorithm>;
  return [...keys].every((k) => a[k] === b[k]);
}

/**
 * The subjects of one step: duplicates (same name, same digests) dropped, sorted by name so the
 * record is the same whatever order the inputs came in. One name with two different digests is
 * refused: the step could not say which artifact it means.
 */
export function normalizeSubjects(subjects: Iterable<Subject>): Subject[] {
  const byName = new Map<string, Subject>();
  for (const subject of subjects) {
    const seen = byName.get(subject.name);
    if (seen === undefined) {
      if (byName.size >= SUBJECT_LIMITS.maxSubjects) {
        throw new SathosError(
          'TOO_LARGE',
          `more than ${SUBJECT_LIMITS.maxSubjects} subjects in one step; attest them in several steps`,
        );
      }
      byName.set(subject.name, subject);
    } else if (!sameDigest(seen.digest, subject.digest)) {
      throw new SathosError(
        'SUBJECT_INVALID',
        `${subject.name} is named twice with different digests; name each artifact once`,
      );
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
