// The walk that decides a range: from head and base at once, newest commit first, painting each
// commit with who reaches it, reading parents only from hash-checked commit bytes. It stops once the
// base's history can no longer reach a commit counted in the range, and keeps the bytes it read.
import { SathosError } from '../../errors.js';
import { commitLinks, MAX_COMMIT_BYTES } from './git/commit-object.js';
import type { ObjectReader } from './git/objects.js';

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

const HEAD = 1;
const BASE = 2;
const short = (id: string): string => id.slice(0, 12);

export function tooLarge(description: string, limit: number): SathosError {
  return new SathosError(
    'TOO_LARGE',
    `${description} holds more than ${limit} commits; verify it in parts`,
  );
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
export class RangeWalk {
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
        throw new SathosError(
          'RANGE_UNVERIFIABLE',
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
