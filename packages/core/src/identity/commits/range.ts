// Which commits a range means, decided explicitly and from hash-checked commit objects only: the walk
// from head and base reads each commit's parents from its own bytes (never from git's rev-list, grafts,
// replace refs, commit-graph files or shallow list). An unknown or all-zero base (a new branch, a force
// push) falls back to "not on the default branch" only when that branch is named, and is refused
// otherwise; a range with more commits than MAX_RANGE_COMMITS is refused.
import { SathosError } from '../../errors.js';
import type { CommitRange } from './types.js';
import { commitLinks, MAX_COMMIT_BYTES } from './git/commit-object.js';
import type { GitObjects, ObjectReader } from './git/objects.js';

/** A range longer than this is refused: verify it in parts. */
export const MAX_RANGE_COMMITS = 10_000;
/** Walking a range may read at most this many commits (the range and the base's history near it). */
export const MAX_WALK_COMMITS = 200_000;
/**
 * Once every commit left to walk is reachable from the base, the base's history is walked on while
 * its commits are at most this much older than the oldest candidate (clock skew between committers).
 * Dates only decide how far to look: a commit leaves the range only when found to be an ancestor of
 * the base, so a lying date can add commits to verify, never remove one.
 */
const SKEW_SECONDS = 3600;
/** …and for at least this many more commits whatever their dates. */
const SLOP_COMMITS = 64;
/** The walk keeps the bytes of the commits it read, up to this much, so they are not read twice. */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;

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
const HEAD = 1;
const BASE = 2;

function unverifiable(message: string): SathosError {
  return new SathosError('RANGE_UNVERIFIABLE', message);
}

function tooLarge(description: string, limit: number): SathosError {
  return new SathosError(
    'TOO_LARGE',
    `${description} holds more than ${limit} commits; verify it in parts`,
  );
}

function bounded(
  ids: readonly string[],
  description: string,
  raw?: ReadonlyMap<string, Buffer>,
): ResolvedRange {
  if (ids.length > MAX_RANGE_COMMITS) throw tooLarge(description, MAX_RANGE_COMMITS);
  return { ids, description, ...(raw === undefined ? {} : { raw }) };
}

interface WalkNode {
  readonly id: string;
  /** Undefined when the repository does not have the commit (a shallow or partial clone). */
  readonly parents: readonly string[] | undefined;
  readonly time: number;
  flags: number;
  queued: boolean;
}

/** A max-heap of nodes by committer time, newest first. */
class NewestFirst {
  private readonly items: WalkNode[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): WalkNode | undefined {
    return this.items[0];
  }
  push(node: WalkNode): void {
    const a = this.items;
    a.push(node);
    for (let i = a.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      const [child, parent] = [a[i], a[up]];
      if (child === undefined || parent === undefined || parent.time >= child.time) break;
      [a[i], a[up]] = [parent, child];
      i = up;
    }
  }
  pop(): WalkNode | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ;) {
      let best = i;
      for (const c of [2 * i + 1, 2 * i + 2]) {
        const cn = a[c];
        const bn = a[best];
        if (cn !== undefined && bn !== undefined && cn.time > bn.time) best = c;
      }
      if (best === i) break;
      const [x, y] = [a[i], a[best]];
      if (x === undefined || y === undefined) break;
      [a[i], a[best]] = [y, x];
      i = best;
    }
    return top;
  }
}

/** The walk of `head` minus `base`, painting each commit with who reaches it (HEAD, BASE or both). */
class RangeWalk {
  private readonly nodes = new Map<string, WalkNode>();
  /** Bytes of commits read, while they fit in MAX_KEPT_BYTES. */
  readonly kept = new Map<string, Buffer>();
  private keptBytes = 0;
  private readonly queue = new NewestFirst();
  /** Queued nodes reached from head only: while any is left, the range is not decided. */
  private headOnly = 0;

  constructor(
    private readonly reader: ObjectReader,
    private readonly description: string,
  ) {}

  private async load(ids: readonly string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.nodes.has(id));
    if (wanted.length === 0) return;
    if (this.nodes.size + wanted.length > MAX_WALK_COMMITS) {
      throw new SathosError(
        'TOO_LARGE',
        `deciding ${this.description} took reading more than ${MAX_WALK_COMMITS} commits; verify it in parts`,
      );
    }
    const raws = await this.reader.read(wanted, 'commit', MAX_COMMIT_BYTES);
    wanted.forEach((id, i) => {
      const raw = raws[i];
      const links = raw === undefined ? undefined : commitLinks(id, raw);
      if (raw !== undefined && this.keptBytes + raw.length <= MAX_KEPT_BYTES) {
        this.kept.set(id, raw);
        this.keptBytes += raw.length;
      }
      this.nodes.set(id, {
        id,
        parents: links?.parents,
        time: links?.time ?? 0,
        flags: 0,
        queued: false,
      });
    });
  }

  private mark(node: WalkNode, flags: number): void {
    const before = node.flags;
    if ((before | flags) === before) return;
    node.flags = before | flags;
    if (node.queued) {
      if (before === HEAD) this.headOnly--;
      return;
    }
    node.queued = true;
    if (node.flags === HEAD) this.headOnly++;
    this.queue.push(node);
  }

  private node(id: string): WalkNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new SathosError('GIT_FAILED', `commit ${id} was not loaded`);
    return node;
  }

  /** True while the base's history may still reach a commit now counted in the range. */
  private worthGoingOn(oldestCandidate: number, extra: number): boolean {
    if (this.headOnly > 0) return true;
    const next = this.queue.peek();
    return (
      next !== undefined && (extra < SLOP_COMMITS || next.time + SKEW_SECONDS >= oldestCandidate)
    );
  }

  async run(base: string, head: string): Promise<string[]> {
    await this.load([base, head]);
    this.mark(this.node(base), BASE);
    this.mark(this.node(head), HEAD);
    let oldest = Number.POSITIVE_INFINITY;
    let candidates = 0;
    let extra = 0;
    while (this.queue.size > 0 && this.worthGoingOn(oldest, extra)) {
      if (this.headOnly === 0) extra++;
      const node = this.queue.pop();
      if (node === undefined) break;
      node.queued = false;
      if (node.flags === HEAD) {
        this.headOnly--;
        oldest = Math.min(oldest, node.time);
        // Twice the limit: commits first counted may still turn out to be the base's.
        if (++candidates > 2 * MAX_RANGE_COMMITS)
          throw tooLarge(this.description, MAX_RANGE_COMMITS);
      }
      const parents = node.parents ?? [];
      await this.load(parents);
      for (const parent of parents) this.mark(this.node(parent), node.flags);
    }
    return this.ordered(head);
  }

  /** The commits reached from head only, parents before children; refuses one the repository lacks. */
  private ordered(head: string): string[] {
    const inRange = (id: string): boolean => this.nodes.get(id)?.flags === HEAD;
    const out: string[] = [];
    const done = new Set<string>([head]);
    const stack: { id: string; next: number }[] = inRange(head) ? [{ id: head, next: 0 }] : [];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const node = this.node(top.id);
      if (node.parents === undefined) {
        throw unverifiable(
          `commit ${short(node.id)} is not in the repository (a shallow or partial clone): the commits between it and the base were not seen; fetch the whole history (actions/checkout fetch-depth: 0)`,
        );
      }
      const parent = node.parents[top.next++];
      if (parent === undefined) {
        stack.pop();
        out.push(node.id);
      } else if (inRange(parent) && !done.has(parent)) {
        done.add(parent);
        stack.push({ id: parent, next: 0 });
      }
    }
    return out;
  }
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
