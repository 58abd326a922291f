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

/** Finds symlinks in trees, remembering each subtree's symlinks by tree id. */
class LinkFinder {
  private readonly below = new Map<string, Link[]>();

  constructor(private readonly store: TreeStore) {}

  /** Every symlink under the tree `id` (paths relative to it). */
  private async linksBelow(id: string, depth: number): Promise<Link[]> {
    const known = this.below.get(id);
    if (known !== undefined) return known;
    if (depth > MAX_TREE_DEPTH) {
      throw new SathosError('TOO_LARGE', `trees nest deeper than ${MAX_TREE_DEPTH} levels`, {
        where: `tree ${id}`,
      });
    }
    const found: Link[] = [];
    for (const [name, entry] of await this.store.tree(id)) {
      if (entry.kind === 'link') found.push({ path: [name], blob: entry.id });
      if (entry.kind === 'tree') {
        for (const l of await this.linksBelow(entry.id, depth + 1)) {
          found.push({ path: [name, ...l.path], blob: l.blob });
        }
      }
    }
    if (this.below.size >= 8192) this.below.clear();
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
    const through: string[] = [link.path.join('/')];
    const resolved: string[] = [];
    let todo = [...link.path.slice(0, -1), ...(await this.targetOf(link.blob))];
    for (let hops = 0; todo.length > 0;) {
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

  constructor(
    private readonly store: TreeStore,
    private readonly sets: readonly ProtectedSet[],
  ) {
    this.links = new LinkFinder(store);
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
    for (const root of new Set([commit.tree, ...commit.parentTrees])) {
      for (const link of await this.links.protectedLinks(root, set)) {
        const trail = await this.links.trail(root, link);
        if (changed.some((path) => trail.some((t) => touches(path, t)))) return true;
      }
    }
    return false;
  }
}
