// Reading commits from a repository: an interface the verifier depends on, and its implementation
// over git's batch plumbing — one `git cat-file --batch` per batch of commits, one `git rev-list` per
// range, one `git diff-tree --stdin` for the paths of every commit — never one process per commit.
import { createHash } from 'node:crypto';
import { SathosError } from '../errors.js';
import { MAX_COMMIT_BYTES } from './git-commit.js';
import { firstLine, runGit } from './git-process.js';

export interface RawCommit {
  readonly id: string;
  readonly raw: Buffer;
}

export interface RangeWalk {
  readonly ids: string[];
  readonly boundary: string[];
}

export interface GitObjects {
  /** Full commit ids of revisions (`HEAD~2`, a branch, a hex id), undefined where git has no such commit. */
  resolveCommits(revs: readonly string[]): Promise<(string | undefined)[]>;
  /** The raw commit objects, in the order asked; rejects when one is missing or not a commit. */
  readCommits(ids: readonly string[]): Promise<RawCommit[]>;
  /**
   * Commits reachable from `head` and from none of `bases`, parents first; at most `limit + 1`. The
   * boundary: excluded commits that are parents of listed ones (as git walked them).
   */
  listRange(bases: readonly string[], head: string, limit: number): Promise<RangeWalk>;
  /** Paths each commit changes against each parent (every path for a root commit). */
  changedPaths(ids: readonly string[]): Promise<Map<string, string[]>>;
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
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

export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

function assertIds(ids: readonly string[]): void {
  for (const id of ids) {
    if (!OBJECT_ID.test(id)) {
      throw new SathosError('USAGE', `"${id.slice(0, 80)}" is not a full object id`);
    }
  }
}

/** The id git gives a commit object with this content (SHA-1, or SHA-256 for 64-digit ids). */
function objectId(id: string, raw: Buffer): string {
  return createHash(id.length === 64 ? 'sha256' : 'sha1')
    .update(`commit ${raw.length}\0`)
    .update(raw)
    .digest('hex');
}

/** Incremental reader of `git cat-file --batch` output that refuses oversized objects as they arrive. */
class BatchReader {
  readonly objects: RawCommit[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private expected: { id: string; size: number } | undefined;

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.step());
  }

  private step(): boolean {
    if (this.expected === undefined) {
      const newline = this.pending.indexOf(0x0a);
      if (newline < 0) {
        if (this.pending.length > 256) throw this.bad('an unreadable object header');
        return false;
      }
      this.expected = this.header(this.pending.toString('utf8', 0, newline));
      this.pending = this.pending.subarray(newline + 1);
    }
    const { id, size } = this.expected;
    if (this.pending.length < size + 1) return false;
    const raw = Buffer.from(this.pending.subarray(0, size));
    if (objectId(id, raw) !== id) {
      throw new SathosError(
        'MALFORMED_COMMIT',
        'the object git printed does not hash to its id (a corrupt or tampered repository); refusing it',
        { where: `commit ${id}` },
      );
    }
    this.objects.push({ id, raw });
    this.pending = this.pending.subarray(size + 1);
    this.expected = undefined;
    return true;
  }

  private header(line: string): { id: string; size: number } {
    const [id = '', type = '', size = ''] = line.split(' ');
    if (type === 'missing') {
      throw new SathosError('RANGE_UNVERIFIABLE', 'git has no such object; fetch it first', {
        where: `commit ${id}`,
      });
    }
    if (type !== 'commit') {
      throw new SathosError('MALFORMED_COMMIT', `object is a ${type}, not a commit`, {
        where: `object ${id}`,
      });
    }
    const bytes = Number(size);
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw this.bad(`size "${size}"`);
    if (bytes > MAX_COMMIT_BYTES) {
      throw new SathosError('TOO_LARGE', `commit object is larger than ${MAX_COMMIT_BYTES} bytes`, {
        where: `commit ${id}`,
      });
    }
    return { id, size: bytes };
  }

  private bad(what: string): SathosError {
    return new SathosError('GIT_FAILED', `git cat-file printed ${what}; check the git install`);
  }
}

/** Splits `git diff-tree -z --raw` output: a `:`-record is always followed by one path. */
function parseDiffTree(output: Buffer, ids: readonly string[]): Map<string, string[]> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  const fields = output.toString('utf8').split('\0');
  let current: string[] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field === '') continue;
    if (field.startsWith(':')) {
      const path = fields[++i];
      if (current === undefined || path === undefined) {
        throw new SathosError('GIT_FAILED', 'git diff-tree printed a path outside any commit');
      }
      current.push(path);
    } else {
      current = result.get(field.trim());
      if (current === undefined) {
        throw new SathosError('GIT_FAILED', `git diff-tree printed an unexpected commit ${field}`);
      }
    }
  }
  return result;
}

class GitRepository implements GitObjects {
  constructor(private readonly dir: string) {}

  async resolveCommits(revs: readonly string[]): Promise<(string | undefined)[]> {
    for (const rev of revs) {
      if (!isSafeRevision(rev)) {
        throw new SathosError('USAGE', `"${rev.slice(0, 80)}" is not a revision sathos accepts`);
      }
    }
    if (revs.length === 0) return [];
    const result = await this.git(['cat-file', '--batch-check'], {
      input: revs.map((r) => `${r}^{commit}\n`).join(''),
    });
    const lines = result.toString('utf8').split('\n');
    return revs.map((_, i) => {
      const [id = '', type = ''] = (lines[i] ?? '').split(' ');
      return type === 'commit' && OBJECT_ID.test(id) ? id : undefined;
    });
  }

  async readCommits(ids: readonly string[]): Promise<RawCommit[]> {
    assertIds(ids);
    if (ids.length === 0) return [];
    const reader = new BatchReader();
    await this.git(['cat-file', '--batch'], {
      input: ids.map((id) => `${id}\n`).join(''),
      onData: (chunk) => {
        reader.push(chunk);
      },
    });
    if (reader.objects.length !== ids.length || reader.objects.some((o, i) => o.id !== ids[i])) {
      throw new SathosError('GIT_FAILED', 'git cat-file did not print exactly the commits asked');
    }
    return reader.objects;
  }

  async listRange(bases: readonly string[], head: string, limit: number): Promise<RangeWalk> {
    assertIds([...bases, head]);
    const output = await this.git([
      'rev-list',
      '--topo-order',
      '--reverse',
      '--boundary',
      `--max-count=${limit + 1}`,
      head,
      ...bases.map((b) => `^${b}`),
      '--',
    ]);
    const lines = output.toString('utf8').split('\n').filter(Boolean);
    return {
      ids: lines.filter((l) => !l.startsWith('-')),
      boundary: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)),
    };
  }

  async changedPaths(ids: readonly string[]): Promise<Map<string, string[]>> {
    assertIds(ids);
    if (ids.length === 0) return new Map();
    const args = ['diff-tree', '--stdin', '-r', '-m', '--root', '--no-renames', '--raw', '-z'];
    const output = await this.git(args, { input: ids.map((id) => `${id}\n`).join('') });
    return parseDiffTree(output, ids);
  }

  private async git(
    args: string[],
    options: { input?: string; onData?: (chunk: Buffer) => void } = {},
  ): Promise<Buffer> {
    const result = await runGit({ dir: this.dir, args, ...options });
    if (result.code !== 0) {
      throw new SathosError(
        'GIT_FAILED',
        `git ${args[0] ?? ''} failed: ${firstLine(result.stderr) || `exit ${result.code}`}; check --repo`,
        { where: this.dir },
      );
    }
    return result.stdout;
  }
}

/** The git repository (work tree or bare) at `dir`, read through git's plumbing commands. */
export function openGitRepository(dir: string): GitObjects {
  return new GitRepository(dir);
}
