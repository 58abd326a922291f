// Tree objects read and compared here, not by git: each tree is hash-checked on reading (git-objects),
// parsed strictly, and two trees are diffed by walking only the subtrees whose ids differ — linear in
// the changed part. Paths are what `git diff-tree -r` prints: full file paths, `/`-separated.
import { SathosError } from '../../../errors.js';
import type { ObjectReader } from './objects.js';

/** A tree object larger than this is refused (git's own largest directories are a few hundred KiB). */
export const MAX_TREE_BYTES = 16 * 1024 * 1024;
/** Deeper nesting than this is refused (git's core.maxTreeDepth defaults to 2048 and less). */
export const MAX_TREE_DEPTH = 4096;
/** One commit changing more paths than this is refused: verify it by hand. */
export const MAX_CHANGED_PATHS = 1_000_000;
/** A symlink target longer than this is refused (PATH_MAX). */
export const MAX_LINK_BYTES = 4096;

export type EntryKind = 'tree' | 'blob' | 'link' | 'submodule';

export interface TreeEntry {
  readonly kind: EntryKind;
  readonly mode: string;
  readonly id: string;
}

export type Tree = ReadonlyMap<string, TreeEntry>;

const KINDS: Readonly<Record<string, EntryKind>> = {
  '40000': 'tree',
  '100644': 'blob',
  '100755': 'blob',
  '100664': 'blob',
  '120000': 'link',
  '160000': 'submodule',
};

function malformedTree(id: string, what: string): SathosError {
  return new SathosError('MALFORMED_COMMIT', `${what}; this is not a tree object git writes`, {
    where: `tree ${id}`,
  });
}

/** Parses a raw tree object; names must be distinct, non-empty, without `/`, and not `.` or `..`. */
export function parseTree(id: string, raw: Buffer): Tree {
  const hashBytes = id.length / 2;
  const entries = new Map<string, TreeEntry>();
  let at = 0;
  while (at < raw.length) {
    const space = raw.indexOf(0x20, at);
    const nul = space < 0 ? -1 : raw.indexOf(0x00, space);
    if (space < 0 || nul < 0 || nul + 1 + hashBytes > raw.length) {
      throw malformedTree(id, 'an entry is cut short');
    }
    const mode = raw.toString('latin1', at, space);
    const kind = KINDS[mode];
    if (kind === undefined) throw malformedTree(id, `an entry has mode "${mode.slice(0, 12)}"`);
    const name = raw.toString('utf8', space + 1, nul);
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw malformedTree(id, `an entry is named "${name.slice(0, 40)}"`);
    }
    // Two byte strings that decode alike would be one path to the pattern matcher: refuse both.
    if (entries.has(name)) throw malformedTree(id, `two entries are named "${name.slice(0, 40)}"`);
    entries.set(name, { kind, mode, id: raw.toString('hex', nul + 1, nul + 1 + hashBytes) });
    at = nul + 1 + hashBytes;
  }
  return entries;
}

/** Trees by id through one reader, with a bounded cache (consecutive commits share most subtrees). */
export class TreeStore {
  private readonly trees = new Map<string, Tree>();
  private readonly links = new Map<string, string>();

  constructor(
    private readonly reader: ObjectReader,
    private readonly capacity = 8192,
  ) {}

  async tree(id: string): Promise<Tree> {
    const cached = this.trees.get(id);
    if (cached !== undefined) return cached;
    const [raw] = await this.reader.read([id], 'tree', MAX_TREE_BYTES);
    if (raw === undefined) {
      throw new SathosError(
        'RANGE_UNVERIFIABLE',
        'the repository does not have this tree (a partial clone?); fetch the whole history',
        { where: `tree ${id}` },
      );
    }
    const tree = parseTree(id, raw);
    if (this.trees.size >= this.capacity) this.trees.clear();
    this.trees.set(id, tree);
    return tree;
  }

  /** The target a symlink blob names. */
  async linkTarget(id: string): Promise<string> {
    const cached = this.links.get(id);
    if (cached !== undefined) return cached;
    const [raw] = await this.reader.read([id], 'blob', MAX_LINK_BYTES);
    if (raw === undefined) {
      throw new SathosError('RANGE_UNVERIFIABLE', 'the repository does not have this symlink', {
        where: `blob ${id}`,
      });
    }
    const target = raw.toString('utf8');
    if (this.links.size >= this.capacity) this.links.clear();
    this.links.set(id, target);
    return target;
  }
}

interface Pair {
  readonly before: string | undefined;
  readonly after: string | undefined;
  readonly prefix: string;
  readonly depth: number;
}

function sameEntry(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.mode === b.mode && a.id === b.id;
}

/**
 * Paths that differ between two trees (undefined = empty); recurses only into differing subtrees.
 * Those that are a submodule (gitlink) on either side also go to `gitlinks`.
 */
export async function diffTrees(
  store: TreeStore,
  before: string | undefined,
  after: string | undefined,
  out: Set<string>,
  gitlinks?: Set<string>,
): Promise<void> {
  const work: Pair[] = [{ before, after, prefix: '', depth: 0 }];
  for (let pair = work.pop(); pair !== undefined; pair = work.pop()) {
    if (pair.before === pair.after) continue;
    if (pair.depth > MAX_TREE_DEPTH) {
      throw new SathosError('TOO_LARGE', `trees nest deeper than ${MAX_TREE_DEPTH} levels`, {
        where: pair.prefix.slice(0, 200),
      });
    }
    const a =
      pair.before === undefined ? new Map<string, TreeEntry>() : await store.tree(pair.before);
    const b =
      pair.after === undefined ? new Map<string, TreeEntry>() : await store.tree(pair.after);
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      const ea = a.get(name);
      const eb = b.get(name);
      if (sameEntry(ea, eb)) continue;
      const path = pair.prefix + name;
      const subA = ea?.kind === 'tree' ? ea.id : undefined;
      const subB = eb?.kind === 'tree' ? eb.id : undefined;
      if (subA !== undefined || subB !== undefined) {
        work.push({ before: subA, after: subB, prefix: `${path}/`, depth: pair.depth + 1 });
      }
      if ((ea !== undefined && ea.kind !== 'tree') || (eb !== undefined && eb.kind !== 'tree')) {
        out.add(path);
      }
      if (ea?.kind === 'submodule' || eb?.kind === 'submodule') gitlinks?.add(path);
    }
    if (out.size > MAX_CHANGED_PATHS) {
      throw new SathosError('TOO_LARGE', `a commit changes more than ${MAX_CHANGED_PATHS} paths`);
    }
  }
}

/** The entry at `path` (components) in the tree `root`, or undefined when the path leads nowhere. */
export async function lookup(
  store: TreeStore,
  root: string,
  path: readonly string[],
): Promise<TreeEntry | undefined> {
  let entry: TreeEntry | undefined = { kind: 'tree', mode: '40000', id: root };
  for (const name of path) {
    if (entry?.kind !== 'tree') return undefined;
    entry = (await store.tree(entry.id)).get(name);
  }
  return entry;
}
