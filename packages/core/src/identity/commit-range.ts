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
  /** For a walked range: the commits outside it that its commits may name as parents (bases, boundary). */
  readonly outside?: ReadonlySet<string>;
}

const ZERO_ID = /^0+$/;
const short = (id: string): string => id.slice(0, 12);

function unverifiable(message: string): SathosError {
  return new SathosError('RANGE_UNVERIFIABLE', message);
}

function bounded(
  ids: readonly string[],
  description: string,
  outside?: ReadonlySet<string>,
): ResolvedRange {
  if (ids.length > MAX_RANGE_COMMITS) {
    throw new SathosError(
      'TOO_LARGE',
      `${description} holds more than ${MAX_RANGE_COMMITS} commits; verify it in parts`,
    );
  }
  return { ids, description, ...(outside === undefined ? {} : { outside }) };
}

async function walk(
  git: GitObjects,
  base: string,
  head: string,
  description: string,
): Promise<ResolvedRange> {
  const { ids, boundary } = await git.listRange([base], head, MAX_RANGE_COMMITS);
  return bounded(ids, description, new Set([base, ...boundary]));
}

/**
 * Refuses a walked range whose history git cut short (a shallow clone, a graft): every parent a
 * commit records must be in the range or excluded by its base, or commits in between went unseen.
 */
export function assertRangeComplete(
  range: ResolvedRange,
  commits: readonly { readonly id: string; readonly parents: readonly string[] }[],
): void {
  const outside = range.outside;
  if (outside === undefined) return;
  const inside = new Set(range.ids);
  for (const commit of commits) {
    const unseen = commit.parents.find((p) => !inside.has(p) && !outside.has(p));
    if (unseen !== undefined) {
      throw unverifiable(
        `commit ${short(commit.id)} has parent ${short(unseen)}, which git did not walk (a shallow clone or a graft): the commits between it and the base were not seen; fetch the whole history (actions/checkout fetch-depth: 0)`,
      );
    }
  }
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
    return walk(git, base, head, `${short(base)}..${short(head)}`);
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
  return walk(
    git,
    fallback,
    head,
    `${why}; verified the commits of ${short(head)} not on ${range.defaultBranch}`,
  );
}

/** The commits of a range or list; throws RANGE_UNVERIFIABLE when it cannot be decided soundly. */
export function resolveCommitRange(git: GitObjects, range: CommitRange): Promise<ResolvedRange> {
  return range.kind === 'list' ? resolveList(git, range.commits) : resolveSpan(git, range);
}
