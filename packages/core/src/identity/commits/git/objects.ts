// Reading objects from a repository: an interface the verifier depends on, and its implementation over
// `git cat-file --batch`. Every object's content is hashed again here and compared to the id asked, so
// git (and whatever a hostile repository configured) can withhold objects but never substitute one.
// No fact about history is taken from git: parents, trees and changed paths are read from these bytes.
import { createHash } from 'node:crypto';
import { SathosError } from '../../../errors.js';
import { MAX_COMMIT_BYTES } from './commit-object.js';
import { GIT_TIMEOUT_MS, firstLine, runGit, type GitRunner, type GitSession } from './process.js';

/** A reader lives as long as one verification (signatures are checked between its requests). */
const READER_LIFETIME_MS = 60 * 60 * 1000;

export interface RawCommit {
  readonly id: string;
  readonly raw: Buffer;
}

export type ObjectType = 'commit' | 'tree' | 'blob';

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

/** The id git gives an object of this type and content (SHA-1, or SHA-256 for 64-digit ids). */
export function objectId(id: string, type: ObjectType, raw: Buffer): string {
  return createHash(id.length === 64 ? 'sha256' : 'sha1')
    .update(`${type} ${raw.length}\0`)
    .update(raw)
    .digest('hex');
}

interface Request {
  readonly id: string;
  readonly type: ObjectType;
  readonly maxBytes: number;
  readonly done: (raw: Buffer | undefined) => void;
}

/** Incremental reader of `git cat-file --batch` output: checks type, size and hash of each answer as it arrives. */
class BatchParser {
  readonly queue: Request[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private size: number | undefined;

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.step());
  }

  private step(): boolean {
    const request = this.queue[0];
    if (request === undefined) {
      if (this.pending.length > 0) throw this.bad('output nobody asked for');
      return false;
    }
    if (this.size === undefined) {
      const newline = this.pending.indexOf(0x0a);
      if (newline < 0) {
        if (this.pending.length > 256) throw this.bad('an unreadable object header');
        return false;
      }
      const header = this.pending.toString('utf8', 0, newline);
      this.pending = this.pending.subarray(newline + 1);
      const size = this.header(header, request);
      if (size === undefined) {
        this.queue.shift();
        request.done(undefined);
        return true;
      }
      this.size = size;
    }
    const size = this.size;
    if (this.pending.length < size + 1) return false;
    const raw = Buffer.from(this.pending.subarray(0, size));
    if (objectId(request.id, request.type, raw) !== request.id) {
      throw new SathosError(
        'MALFORMED_COMMIT',
        'the object git printed does not hash to its id (a corrupt or tampered repository); refusing it',
        { where: `${request.type} ${request.id}` },
      );
    }
    this.pending = this.pending.subarray(size + 1);
    this.size = undefined;
    this.queue.shift();
    request.done(raw);
    return true;
  }

  /** The size announced for `request`, or undefined when git has no such object. */
  private header(line: string, request: Request): number | undefined {
    const [id = '', type = '', size = ''] = line.split(' ');
    if (id !== request.id)
      throw this.bad(`object ${id.slice(0, 64)} where ${request.id} was asked`);
    if (type === 'missing') return undefined;
    if (type !== request.type) {
      throw new SathosError('MALFORMED_COMMIT', `object is a ${type}, not a ${request.type}`, {
        where: `object ${id}`,
      });
    }
    const bytes = Number(size);
    if (!/^\d{1,15}$/.test(size) || !Number.isSafeInteger(bytes)) throw this.bad(`size "${size}"`);
    if (bytes > request.maxBytes) {
      throw new SathosError(
        'TOO_LARGE',
        `${request.type} object is larger than ${request.maxBytes} bytes`,
        { where: `${request.type} ${id}` },
      );
    }
    return bytes;
  }

  private bad(what: string): SathosError {
    return new SathosError('GIT_FAILED', `git cat-file printed ${what}; check the git install`);
  }
}

/** One `git cat-file --batch` process answering requests as they come; the first failure fails them all. */
class BatchReader implements ObjectReader {
  private readonly parser = new BatchParser();
  private readonly session: GitSession;
  private failure: Error | undefined;
  private readonly rejects = new Set<(error: Error) => void>();

  constructor(
    git: GitRunner,
    private readonly dir: string,
  ) {
    this.session = git.start({
      dir,
      args: ['cat-file', '--batch'],
      timeoutMs: READER_LIFETIME_MS,
      onData: (chunk) => {
        this.parser.push(chunk);
      },
    });
    this.session.exited.then(
      (result) => {
        this.fail(
          new SathosError(
            'GIT_FAILED',
            `git cat-file ended early: ${firstLine(result.stderr) || `exit ${result.code}`}; check --repo`,
            { where: dir },
          ),
        );
      },
      (error: unknown) => {
        this.fail(error);
      },
    );
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
    for (const reject of this.rejects) reject(this.failure);
    this.rejects.clear();
  }

  read(
    ids: readonly string[],
    type: ObjectType,
    maxBytes: number,
  ): Promise<(Buffer | undefined)[]> {
    assertIds(ids);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (ids.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const out: (Buffer | undefined)[] = new Array<Buffer | undefined>(ids.length);
      let left = ids.length;
      // Each request gets git's usual deadline: a git that stops answering fails, never hangs.
      const timer = setTimeout(() => {
        this.fail(
          new SathosError('GIT_FAILED', `git cat-file did not answer within ${GIT_TIMEOUT_MS} ms`),
        );
        this.session.kill();
      }, GIT_TIMEOUT_MS);
      timer.unref();
      const failed = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      this.rejects.add(failed);
      ids.forEach((id, i) => {
        this.parser.queue.push({
          id,
          type,
          maxBytes,
          done: (raw) => {
            out[i] = raw;
            if (--left === 0) {
              clearTimeout(timer);
              this.rejects.delete(failed);
              resolve(out);
            }
          },
        });
      });
      this.session.write(ids.map((id) => `${id}\n`).join(''));
    });
  }

  async close(): Promise<void> {
    this.failure ??= new SathosError('GIT_FAILED', 'the object reader was closed');
    await this.session.end().catch(() => undefined);
  }
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
