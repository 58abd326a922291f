// Reading objects from a repository: an interface the verifier depends on, and its implementation over
// git's plumbing (batch-reader.ts). Every object's content is hashed again and compared to the id asked, so
// git (and whatever a hostile repository configured) can withhold objects but never substitute one.
// No fact about history is taken from git: parents, trees and changed paths are read from these bytes.
import { SathosError } from '../../../errors.js';
import { BatchReader } from './batch-reader.js';
import { MAX_COMMIT_BYTES } from './commit-object.js';
import { OBJECT_ID, assertIds, type ObjectType } from './object-id.js';
import { firstLine, runGit, type GitRunner } from './process.js';

export { isObjectId, objectId, type ObjectType } from './object-id.js';

export interface RawCommit {
  readonly id: string;
  readonly raw: Buffer;
}

/** One long-lived reader: many small requests answered by one git process, in order. */
export interface ObjectReader {
  /**
   * The content of each object, hash-checked, in the order asked; undefined where the repository has
   * no such object. Rejects when an object is of another type or larger than `maxBytes`.
   */
  read(ids: readonly string[], type: ObjectType, maxBytes: number): Promise<(Buffer | undefined)[]>;
  close(): Promise<void>;
}

export interface GitObjects {
  /** Full commit ids of revisions (`HEAD~2`, a branch, a hex id), undefined where git has no such commit. */
  resolveCommits(revs: readonly string[]): Promise<(string | undefined)[]>;
  /**
   * The commit a full ref name (`refs/remotes/origin/main`) points at, looked up as exactly that ref —
   * never git's short-name rules, which take a tag `refs/tags/refs/remotes/origin/main` when the ref
   * is absent; undefined when no such ref exists or it names no commit.
   */
  resolveRef(ref: string): Promise<string | undefined>;
  /** The raw commit objects, in the order asked; rejects when one is missing or not a commit. */
  readCommits(ids: readonly string[]): Promise<RawCommit[]>;
  /** A reader for walking history and trees object by object; close it when done. */
  openReader(): ObjectReader;
}

/** A revision we pass to git: no option lookalikes, no whitespace or control characters. */
function isSafeRevision(rev: string): boolean {
  return (
    rev.length > 0 &&
    rev.length <= 256 &&
    !rev.startsWith('-') &&
    Array.from({ length: rev.length }, (_, i) => rev.charCodeAt(i)).every(
      (code) => code > 0x20 && code !== 0x7f,
    )
  );
}

class GitRepository implements GitObjects {
  constructor(
    private readonly git: GitRunner,
    private readonly dir: string,
  ) {}

  async resolveCommits(revs: readonly string[]): Promise<(string | undefined)[]> {
    for (const rev of revs) {
      if (!isSafeRevision(rev)) {
        throw new SathosError('USAGE', `"${rev.slice(0, 80)}" is not a revision sathos accepts`);
      }
    }
    if (revs.length === 0) return [];
    const result = await runGit(this.git, {
      dir: this.dir,
      args: ['cat-file', '--batch-check'],
      input: revs.map((r) => `${r}^{commit}\n`).join(''),
    });
    if (result.code !== 0) {
      throw new SathosError(
        'GIT_FAILED',
        `git cat-file failed: ${firstLine(result.stderr) || `exit ${result.code}`}; check --repo`,
        { where: this.dir },
      );
    }
    const lines = result.stdout.toString('utf8').split('\n');
    return revs.map((_, i) => {
      const [id = '', type = ''] = (lines[i] ?? '').split(' ');
      return type === 'commit' && OBJECT_ID.test(id) ? id : undefined;
    });
  }

  async resolveRef(ref: string): Promise<string | undefined> {
    if (!isSafeRevision(ref) || !ref.startsWith('refs/')) {
      throw new SathosError('USAGE', `"${ref.slice(0, 80)}" is not a full ref name sathos accepts`);
    }
    // for-each-ref matches by prefix (refs under `ref/` too): only the line naming exactly `ref` counts.
    const result = await runGit(this.git, {
      dir: this.dir,
      args: ['for-each-ref', '--format=%(objectname) %(refname)', '--', ref],
    });
    if (result.code !== 0) {
      throw new SathosError(
        'GIT_FAILED',
        `git for-each-ref failed: ${firstLine(result.stderr) || `exit ${result.code}`}; check --repo`,
        { where: this.dir },
      );
    }
    const exact = result.stdout
      .toString('utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .find(([id = '', name]) => name === ref && OBJECT_ID.test(id));
    if (exact?.[0] === undefined) return undefined;
    const [commit] = await this.resolveCommits([exact[0]]);
    return commit;
  }

  async readCommits(ids: readonly string[]): Promise<RawCommit[]> {
    assertIds(ids);
    if (ids.length === 0) return [];
    const reader = this.openReader();
    try {
      const raws = await reader.read(ids, 'commit', MAX_COMMIT_BYTES);
      return ids.map((id, i) => {
        const raw = raws[i];
        if (raw === undefined) {
          throw new SathosError('RANGE_UNVERIFIABLE', 'git has no such object; fetch it first', {
            where: `commit ${id}`,
          });
        }
        return { id, raw };
      });
    } finally {
      await reader.close();
    }
  }

  openReader(): ObjectReader {
    return new BatchReader(this.git, this.dir);
  }
}

/**
 * The git repository (work tree or bare) at `dir`, read through git's plumbing commands run by `git`
 * (@sathos/node's openGitRepository hands in the process runner).
 */
export function readGitRepository(dir: string, git: GitRunner): GitObjects {
  return new GitRepository(git, dir);
}
