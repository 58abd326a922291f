// A step's subjects split into the parts its records can hold (docs/spec.md §2.2): at most 1,024
// subjects per record, and few enough bytes that the record's bundle stays well inside a chain
// line (4 MiB) after base64. Parts keep the subjects' order, so the split is the same every time.
import { SathosError } from '../../errors.js';
import { RECORD_LIMITS } from '../record/transition.js';
import type { ResourceDescriptor } from '../record/statement.js';

export interface SplitLimits {
  readonly maxSubjects: number;
  /** JSON bytes of one part's subjects. */
  readonly maxBytes: number;
}

/** 1 MiB of subjects: 1.4 MiB of base64 in the bundle, with the rest of the record far below 4 MiB. */
export const PART_LIMITS: SplitLimits = {
  maxSubjects: RECORD_LIMITS.maxSubjects,
  maxBytes: 1024 * 1024,
};

/**
 * The subjects in consecutive parts, each within the limits; one part when they all fit. Linear:
 * each subject is serialised once to count its bytes.
 */
export function splitSubjects<S extends ResourceDescriptor>(
  subjects: readonly S[],
  limits: SplitLimits = PART_LIMITS,
): S[][] {
  if (limits.maxSubjects > PART_LIMITS.maxSubjects || limits.maxBytes > PART_LIMITS.maxBytes) {
    throw new SathosError('USAGE', 'parts may be smaller than a record holds, never larger');
  }
  if (subjects.length === 0) {
    throw new SathosError(
      'SUBJECT_INVALID',
      'the step names no subject; give at least one artifact',
    );
  }
  const parts: S[][] = [];
  let part: S[] = [];
  let bytes = 0;
  for (const subject of subjects) {
    const size = Buffer.byteLength(JSON.stringify(subject)) + 1;
    if (size > limits.maxBytes) {
      throw new SathosError(
        'TOO_LARGE',
        `one subject takes ${size} bytes, more than a record holds (${limits.maxBytes})`,
        { where: subject.name ?? 'subject' },
      );
    }
    if (part.length >= limits.maxSubjects || bytes + size > limits.maxBytes) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(subject);
    bytes += size;
  }
  parts.push(part);
  return parts;
}
