// A problem found in a policy document, located by line and column, and the one error that lists
// every problem at once.
import { oneLine, SathosError } from '../../errors.js';
import { POLICY_LIMITS } from './limits.js';

/** Keys and indices from the document root to the node a problem concerns. */
export type PolicyPath = readonly (string | number)[];

export interface PolicyProblem {
  readonly path: PolicyPath;
  /** Says what is wrong, naming the field (e.g. `rules[2].expression …`). */
  readonly message: string;
  /** Point at the key of the last path element rather than its value (an unknown field). */
  readonly atKey?: true;
  /** 1-based position of the node, when the document has one there. */
  readonly line?: number;
  readonly col?: number;
}

export const problem = (path: PolicyPath, message: string): PolicyProblem => ({ path, message });

/** A problem about a key itself, located at the key. */
export const keyProblem = (path: PolicyPath, message: string): PolicyProblem => ({
  path,
  message,
  atKey: true,
});

/** `rules[2].expression`, as messages name a field. */
export function pathText(path: PolicyPath): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/** `file:line:col: message`, or `file: message` when the problem has no position. */
export function problemLine(uri: string, p: PolicyProblem): string {
  // A problem can quote the policy's own text: keep its line breaks and controls out of the output.
  return oneLine(
    p.line === undefined ? `${uri}: ${p.message}` : `${uri}:${p.line}:${p.col ?? 1}: ${p.message}`,
  );
}

/** A policy that cannot be used, with every problem and where it is. */
export class PolicyInvalidError extends SathosError {
  readonly problems: readonly PolicyProblem[];

  constructor(uri: string, problems: readonly PolicyProblem[]) {
    const shown = problems.slice(0, POLICY_LIMITS.maxProblems);
    const more = problems.length - shown.length;
    const listed = shown
      .map((p) => (p.line === undefined ? p.message : `${p.line}:${p.col ?? 1} ${p.message}`))
      .join('; ');
    super(
      'POLICY_INVALID',
      `policy is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${listed}${more > 0 ? `; and ${more} more` : ''}`,
      { where: uri },
    );
    this.problems = problems;
  }
}
