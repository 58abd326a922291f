// Which commits a range means, decided explicitly and from hash-checked commit objects only: the walk
// from head and base reads each commit's parents from its own bytes (never from git's rev-list, grafts,
// replace refs, commit-graph files or shallow list). An unknown or all-zero base (a new branch, a force
// push) falls back to "not on the default branch" only when that branch is named, and is refused
// otherwise; a range with more commits than MAX_RANGE_COMMITS is refused.
import { SathosError } from '../../errors.js';
import type { CommitRange } from './types.js';
import type { GitObjects, ObjectReader } from './git/objects.js';
import { MAX_RANGE_COMMITS, RangeWalk, tooLarge } from './range-walk.js';

export { MAX_RANGE_COMMITS } from './range-walk.js';

export interface ResolvedRange {
  /** Commit ids, parents before children. */
  readonly ids: readonly string[];
  /** What was resolved, for people: `abc1234..def5678`, or the fallback taken. */
  readonly description: string;
  /** Hash-checked bytes of some of the commits, already read by the walk. */
  readonly raw?: ReadonlyMap<string, Buffer>;
}

const ZERO_ID = /^0+$/;
const short = (id: string): string => id.slice(0, 12);

function unverifiable(message: string): SathosError {
  return new SathosError('RANGE_UNVERIFIABLE', message);
}

function bounded(
  ids: readonly string[],
  description: string,
  raw?: ReadonlyMap<string, Buffer>,
): ResolvedRange {
  if (ids.length > MAX_RANGE_COMMITS) throw tooLarge(description, MAX_RANGE_COMMITS);
  return { ids, description, ...(raw === undefined ? {} : { raw }) };
}

async function walk(
  reader: ObjectReader,
  base: string,
  head: string,
  description: string,
): Promise<ResolvedRange> {
  const walker = new RangeWalk(reader, description);
  const ids = await walker.run(base, head);
  return bounded(ids, description, walker.kept);
}

function unknownRevision(rev: string): SathosError {
  return new SathosError(
    'USAGE',
    `revision ${rev.slice(0, 80)} does not exist in the repository; check the name, or fetch it (actions/checkout fetch-depth: 0)`,
  );
}

async function resolveList(git: GitObjects, revs: readonly string[]): Promise<ResolvedRange> {
  if (revs.length > MAX_RANGE_COMMITS) return bounded(revs, `the list of ${revs.length} commits`);
  const ids = await git.resolveCommits(revs);
  const missing = revs.find((_, i) => ids[i] === undefined);
  if (missing !== undefined) throw unknownRevision(missing);
  return bounded([...new Set(ids as string[])], `${revs.length} listed commit(s)`);
}

/** The default branch's commit: a full ref name is looked up as exactly that ref (git's short-name rules would take a tag of that name when it is absent). */
async function resolveDefaultBranch(git: GitObjects, name: string): Promise<string | undefined> {
  if (name.startsWith('refs/')) return git.resolveRef(name);
  const [id] = await git.resolveCommits([name]);
  return id;
}

/** Commits of `extra` not in `main`, then `main`: an extra commit is on the default branch, so none of its ancestors is in `main` and parents still come before children. */
function union(main: ResolvedRange, extra: ResolvedRange, description: string): ResolvedRange {
  const seen = new Set(main.ids);
  const raw = new Map([...(extra.raw ?? []), ...(main.raw ?? [])]);
  return bounded([...extra.ids.filter((id) => !seen.has(id)), ...main.ids], description, raw);
}

async function resolveSpan(
  git: GitObjects,
  reader: ObjectReader,
  range: Extract<CommitRange, { kind: 'range' }>,
): Promise<ResolvedRange> {
  const knownBase = !ZERO_ID.test(range.base);
  const [head, base] = await git.resolveCommits([range.head, ...(knownBase ? [range.base] : [])]);
  if (head === undefined) throw unknownRevision(range.head);
  if (base !== undefined && range.sinceDefaultBranch !== true) {
    return walk(reader, base, head, `${short(base)}..${short(head)}`);
  }
  const why =
    base !== undefined
      ? `${short(base)}..${short(head)}`
      : knownBase
        ? `base ${range.base} is unknown to git (a force push or a shallow clone)`
        : 'base is all zeros (a new branch)';
  if (range.defaultBranch === undefined) {
    throw unverifiable(
      `${why}: name the default branch to verify the commits not on it, or pass an explicit range`,
    );
  }
  const fallback = await resolveDefaultBranch(git, range.defaultBranch);
  if (fallback === undefined) {
    throw unverifiable(
      `${why}, and the default branch ${range.defaultBranch} is not in the repository as that exact ref; fetch it (actions/checkout fetch-depth: 0)`,
    );
  }
  const sinceDefault = await walk(
    reader,
    fallback,
    head,
    `${base === undefined ? `${why}; ` : ''}verified the commits of ${short(head)} not on ${range.defaultBranch}`,
  );
  if (base === undefined) return sinceDefault;
  const pushed = await walk(reader, base, head, why);
  return union(
    sinceDefault,
    pushed,
    `${why} and every commit of ${short(head)} not on ${range.defaultBranch}`,
  );
}

/**
 * The commits of a range or list; throws RANGE_UNVERIFIABLE when it cannot be decided soundly and
 * USAGE when a named revision does not exist. `reader` reads the commits the walk passes.
 */
export function resolveCommitRange(
  git: GitObjects,
  reader: ObjectReader,
  range: CommitRange,
): Promise<ResolvedRange> {
  return range.kind === 'list' ? resolveList(git, range.commits) : resolveSpan(git, reader, range);
}
