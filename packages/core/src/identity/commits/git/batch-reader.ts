// `git cat-file --batch` as one long-lived process answering many small requests in order: each
// answer's type, size and hash are checked as it arrives, and the first failure fails every request.
import { SathosError } from '../../../errors.js';
import { assertIds, objectId, type ObjectType } from './object-id.js';
import type { ObjectReader } from './objects.js';
import { GIT_TIMEOUT_MS, firstLine, type GitRunner, type GitSession } from './process.js';

/** A reader lives as long as one verification (signatures are checked between its requests). */
const READER_LIFETIME_MS = 60 * 60 * 1000;

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
export class BatchReader implements ObjectReader {
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
