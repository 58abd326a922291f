// Which commits a range means, decided explicitly: an unknown or all-zero base (a new branch, a force
// push, a shallow clone) falls back to "not on the default branch" only when that branch is named, and
// is refused otherwise; a range with more commits than MAX_RANGE_COMMITS is refused.
import { SathosError } from '../errors.js';
import type { CommitRange } from './commit-verification.js';
import type { GitObjects } from './git-objects.js';

/** A range longer than this is refused: verify it in parts. */
export const MAX_RANGE_COMMITS = 10_000;

export interface ResolvedRange {
  /** Commit ids, parents before children. */
  readonly ids: readonly string[];
  /** What was resolved, for people: `abc1234..def5678`, or the fallback taken. */
  readonly description: string;
}

const ZERO_ID = /^0+$/;
const short = (id: string): string => id.slice(0, 12);

function unverifiable(message: string): SathosError {
  return new SathosError('RANGE_UNVERIFIABLE', message);
}

function bounded(ids: readonly string[], description: string): ResolvedRange {
  if (ids.length > MAX_RANGE_COMMITS) {
    throw new SathosError(
      'TOO_LARGE',
      `${description} holds more than ${MAX_RANGE_COMMITS} commits; verify it in parts`,
    );
  }
  return { ids, description };
}

async function resolveList(git: GitObjects, revs: readonly string[]): Promise<ResolvedRange> {
  if (revs.length > MAX_RANGE_COMMITS) return bounded(revs, `the list of ${revs.length} commits`);
  const ids = await git.resolveCommits(revs);
  const missing = revs.find((_, i) => ids[i] === undefined);
  if (missing !== undefined) {
    throw unverifiable(
      `commit ${missing} is not in the repository; fetch it (actions/checkout fetch-depth: 0)`,
    );
  }
  return bounded([...new Set(ids as string[])], `${revs.length} listed commit(s)`);
}

async function resolveSpan(
  git: GitObjects,
  range: Extract<CommitRange, { kind: 'range' }>,
): Promise<ResolvedRange> {
  const knownBase = !ZERO_ID.test(range.base);
  const revs = [
    range.head,
    ...(knownBase ? [range.base] : []),
    ...(range.defaultBranch === undefined ? [] : [range.defaultBranch]),
  ];
  const [head, ...rest] = await git.resolveCommits(revs);
  if (head === undefined) {
    throw unverifiable(
      `head ${range.head} is not in the repository; fetch it (actions/checkout fetch-depth: 0)`,
    );
  }
  const base = knownBase ? rest.shift() : undefined;
  if (base !== undefined) {
    const ids = await git.listRange([base], head, MAX_RANGE_COMMITS);
    return bounded(ids, `${short(base)}..${short(head)}`);
  }
  const why = knownBase
    ? `base ${range.base} is unknown to git (a force push or a shallow clone)`
    : 'base is all zeros (a new branch)';
  const fallback = rest[0];
  if (range.defaultBranch === undefined) {
    throw unverifiable(
      `${why}: name the default branch to verify the commits not on it, or pass an explicit range`,
    );
  }
  if (fallback === undefined) {
    throw unverifiable(
      `${why}, and the default branch ${range.defaultBranch} is not in the repository either; fetch it`,
    );
  }
  const ids = await git.listRange([fallback], head, MAX_RANGE_COMMITS);
  return bounded(
    ids,
    `${why}; verified the commits of ${short(head)} not on ${range.defaultBranch}`,
  );
}

/** The commits of a range or list; throws RANGE_UNVERIFIABLE when it cannot be decided soundly. */
export function resolveCommitRange(git: GitObjects, range: CommitRange): Promise<ResolvedRange> {
  return range.kind === 'list' ? resolveList(git, range.commits) : resolveSpan(git, range);
}
