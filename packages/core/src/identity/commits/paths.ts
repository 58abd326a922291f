// Which protected path sets a commit touches, from hash-checked trees only. A set is touched when a
// path the commit changes (against any parent; every path for a root commit) matches its patterns —
// or when it changes a path that a symlink inside the protected paths resolves through: a symlink
// `infra/deploy.sh -> ../scripts/deploy.sh` makes `scripts/deploy.sh` (and the `scripts` entry, and
// whatever further symlinks the resolution passes) as protected as `infra/**` itself.
import picomatch from 'picomatch';
import { SathosError } from '../../errors.js';
import type { ProtectedSet } from './signers.js';
import { MAX_TREE_DEPTH, diffTrees, lookup, type TreeStore } from './git/tree.js';

/** Symlinks followed while resolving one target before giving up (Linux's limit). */
const MAX_LINK_HOPS = 40;
/**
 * Steps (a path component resolved, a directory listed for symlinks) one verification may spend on
 * the symlinks of protected paths. Their trails are followed again for every commit, so thousands of
 * symlinks under a protected base times thousands of commits would take hours: refused instead.
 */
export const MAX_LINK_STEPS = 1_000_000;
/** Subtrees whose symlinks are remembered, and trails kept (a parent's tree is its child's parent's). */
const LINK_CACHE = 65_536;

interface Link {
  /** Components of the link's path from the repository root. */
  readonly path: readonly string[];
  readonly blob: string;
}

/** The components of every pattern's literal base (`infra/**` → `infra`), lower-cased: where its symlinks can be. */
function basesOf(set: ProtectedSet): string[][] {
  return set.paths.map((pattern) =>
    picomatch
      .scan(pattern)
      .base.toLowerCase()
      .split('/')
      .filter((c) => c !== '' && c !== '.'),
  );
}

/** True when a changed path is, contains, or lies under a path a protected symlink resolves through. */
function touches(changed: string, through: string): boolean {
  const c = changed.toLowerCase();
  return (
    through === '' || c === through || c.startsWith(`${through}/`) || through.startsWith(`${c}/`)
  );
}

/**
 * True when a changed gitlink stands at, under or above a pattern's literal base: a checkout with
 * submodules fills its directory from another repository, so paths the set protects can change
 * although the gitlink's own path (`deploy` for `deploy/*.sh`) matches no pattern.
 */
function viaGitlink(set: ProtectedSet, gitlinks: ReadonlySet<string>): boolean {
  if (gitlinks.size === 0) return false;
  const bases = basesOf(set).map((components) => components.join('/'));
  return [...gitlinks].some((path) => bases.some((base) => touches(path, base)));
}

/**
 * The changed paths (lower-cased) and every directory holding one, so that `touches` answers for one
 * path in time linear in its depth rather than in the number of changed paths.
 */
class ChangedIndex {
  private readonly exact = new Set<string>();
  private readonly dirs = new Set<string>();

  constructor(changed: readonly string[]) {
    for (const path of changed) {
      const lower = path.toLowerCase();
      this.exact.add(lower);
      for (let cut = lower.lastIndexOf('/'); cut > 0; cut = lower.lastIndexOf('/', cut - 1)) {
        const dir = lower.slice(0, cut);
        if (this.dirs.has(dir)) break;
        this.dirs.add(dir);
      }
    }
  }

  /** `touches(changed, through)` for some changed path: it is `through`, lies under it, or above it. */
  touches(through: string): boolean {
    if (through === '') return this.exact.size > 0;
    if (this.exact.has(through) || this.dirs.has(through)) return true;
    for (let cut = through.indexOf('/'); cut > 0; cut = through.indexOf('/', cut + 1)) {
      if (this.exact.has(through.slice(0, cut))) return true;
    }
    return false;
  }
}

/** Finds symlinks in trees, remembering each subtree's symlinks by tree id. */
class LinkFinder {
  private readonly below = new Map<string, Link[]>();
  private readonly trails = new Map<string, string[]>();
  private steps = 0;

  constructor(
    private readonly store: TreeStore,
    private readonly maxSteps: number,
  ) {}

  private spend(): void {
    if (++this.steps > this.maxSteps) {
      throw new SathosError(
        'TOO_LARGE',
        `following the symlinks of protected paths took more than ${this.maxSteps} steps for this range; verify it in parts, or keep fewer symlinks under protected paths`,
      );
    }
  }

  /** Every symlink under the tree `id` (paths relative to it). */
  private async linksBelow(id: string, depth: number): Promise<Link[]> {
    const known = this.below.get(id);
    if (known !== undefined) return known;
    if (depth > MAX_TREE_DEPTH) {
      throw new SathosError('TOO_LARGE', `trees nest deeper than ${MAX_TREE_DEPTH} levels`, {
        where: `tree ${id}`,
      });
    }
    this.spend();
    const found: Link[] = [];
    for (const [name, entry] of await this.store.tree(id)) {
      if (entry.kind === 'link') found.push({ path: [name], blob: entry.id });
      if (entry.kind === 'tree') {
        for (const l of await this.linksBelow(entry.id, depth + 1)) {
          found.push({ path: [name, ...l.path], blob: l.blob });
        }
      }
    }
    if (this.below.size >= LINK_CACHE) this.below.clear();
    this.below.set(id, found);
    return found;
  }

  /** Symlinks on the way to, or anywhere under, the base of one of the set's patterns (case ignored). */
  async protectedLinks(root: string, set: ProtectedSet): Promise<Link[]> {
    const out: Link[] = [];
    for (const base of basesOf(set)) {
      let level: { path: string[]; id: string }[] = [{ path: [], id: root }];
      for (const component of base) {
        const next: { path: string[]; id: string }[] = [];
        for (const dir of level) {
          for (const [name, entry] of await this.store.tree(dir.id)) {
            if (name.toLowerCase() !== component) continue;
            if (entry.kind === 'link') out.push({ path: [...dir.path, name], blob: entry.id });
            if (entry.kind === 'tree') next.push({ path: [...dir.path, name], id: entry.id });
          }
        }
        level = next;
      }
      for (const dir of level) {
        for (const l of await this.linksBelow(dir.id, dir.path.length)) {
          out.push({ path: [...dir.path, ...l.path], blob: l.blob });
        }
      }
    }
    return out;
  }

  /**
   * The repository paths (lower-cased) a symlink resolves through in the tree `root`: each symlink
   * passed and the final path; a target leaving the repository (absolute, or `..` past the root)
   * ends the trail, since no commit can change what lies outside it.
   */
  async trail(root: string, link: Link): Promise<string[]> {
    const key = `${root}\0${link.blob}\0${link.path.join('/')}`;
    const known = this.trails.get(key);
    if (known !== undefined) return known;
    const trail = await this.follow(root, link);
    if (this.trails.size >= LINK_CACHE) this.trails.clear();
    this.trails.set(key, trail);
    return trail;
  }

  private async follow(root: string, link: Link): Promise<string[]> {
    const through: string[] = [link.path.join('/')];
    const resolved: string[] = [];
    let todo = [...link.path.slice(0, -1), ...(await this.targetOf(link.blob))];
    for (let hops = 0; todo.length > 0;) {
      this.spend();
      const component = todo.shift() ?? '';
      if (component === '' || component === '.') continue;
      if (component === '/' || (component === '..' && resolved.length === 0)) {
        return through.map((t) => t.toLowerCase());
      }
      if (component === '..') {
        resolved.pop();
        continue;
      }
      resolved.push(component);
      const entry = await lookup(this.store, root, resolved);
      if (entry?.kind === 'link' && ++hops <= MAX_LINK_HOPS) {
        through.push(resolved.join('/'));
        resolved.pop();
        todo = [...(await this.targetOf(entry.id)), ...todo];
      }
    }
    through.push(resolved.join('/'));
    return through.map((t) => t.toLowerCase());
  }

  /** A target's components; an absolute target starts with `/`. */
  private async targetOf(blob: string): Promise<string[]> {
    const target = await this.store.linkTarget(blob);
    return [...(target.startsWith('/') ? ['/'] : []), ...target.split('/')];
  }
}

export interface CommitTrees {
  readonly tree: string;
  /** The trees of the commit's parents, in order (none for a root commit). */
  readonly parentTrees: readonly string[];
}

/** Computes, per commit, the protected sets it touches; one instance per verification. */
export class ProtectedPathJudge {
  private readonly links: LinkFinder;

  /** `maxLinkSteps` bounds the symlink work of the whole verification (MAX_LINK_STEPS by default). */
  constructor(
    private readonly store: TreeStore,
    private readonly sets: readonly ProtectedSet[],
    maxLinkSteps = MAX_LINK_STEPS,
  ) {
    this.links = new LinkFinder(store, maxLinkSteps);
  }

  /** Paths the commit changes against any parent (every path for a root commit); gitlinks among them also go to `gitlinks`. */
  async changedPaths(commit: CommitTrees, gitlinks?: Set<string>): Promise<Set<string>> {
    const changed = new Set<string>();
    if (commit.parentTrees.length === 0)
      await diffTrees(this.store, undefined, commit.tree, changed, gitlinks);
    for (const parent of commit.parentTrees) {
      await diffTrees(this.store, parent, commit.tree, changed, gitlinks);
    }
    return changed;
  }

  async touched(commit: CommitTrees): Promise<ProtectedSet[]> {
    if (this.sets.length === 0) return [];
    const gitlinks = new Set<string>();
    const changed = [...(await this.changedPaths(commit, gitlinks))];
    const touched: ProtectedSet[] = [];
    for (const set of this.sets) {
      if (
        changed.some((path) => set.matches(path)) ||
        viaGitlink(set, gitlinks) ||
        (await this.viaLink(set, commit, changed))
      ) {
        touched.push(set);
      }
    }
    return touched;
  }

  /** True when a changed path is one a symlink of the set resolves through, in the commit's tree or a parent's. */
  private async viaLink(
    set: ProtectedSet,
    commit: CommitTrees,
    changed: readonly string[],
  ): Promise<boolean> {
    if (changed.length === 0) return false;
    const index = new ChangedIndex(changed);
    for (const root of new Set([commit.tree, ...commit.parentTrees])) {
      for (const link of await this.links.protectedLinks(root, set)) {
        const trail = await this.links.trail(root, link);
        if (trail.some((t) => index.touches(t))) return true;
      }
    }
    return false;
  }
}
