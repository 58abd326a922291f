// The repository at the verified commit, read from git objects rather than the working tree: what
// is judged is exactly what the commit holds, whatever was checked out or changed since. One
// `git cat-file --batch` process answers every read (trees and files), so reading fifty workflows
// and the actions they call costs one process, not one per file.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SathosError } from '@sathos/core';

/** What posture reads from a repository; tests and other sources can hand in their own. */
export interface RepositorySource {
  /** The commit the files are read at (full hex id). */
  readonly commit: string;
  /** Regular files directly in `dir` (repository-relative). */
  list(dir: string): Promise<string[]>;
  /** Files' text by path; a path that is not a regular file at the commit is absent. */
  read(paths: readonly string[]): Promise<Map<string, string>>;
  /** Ends the git process behind the source. */
  close(): void;
}

/** One object (file or tree) larger than this is refused. */
const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
// No transport: a repository configured as a partial clone makes cat-file fetch a missing object
// from its promisor remote, running whatever that remote names (core.sshCommand, an ext:: command).
const GIT_ENV = {
  ...process.env,
  GIT_NO_REPLACE_OBJECTS: '1',
  LC_ALL: 'C',
  GIT_ALLOW_PROTOCOL: '',
  GIT_NO_LAZY_FETCH: '1',
};

function gitFailed(dir: string, message: string, cause?: unknown): SathosError {
  return new SathosError('GIT_FAILED', `${message}; check the repository and commit`, {
    where: dir,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A repository's top directory: `.git` (a directory, or a file for worktrees), or a bare repository. */
function isRepositoryTop(dir: string): boolean {
  return (
    existsSync(join(dir, '.git')) ||
    (existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')))
  );
}

interface Answer {
  readonly id: string;
  readonly type: string;
  readonly body: Buffer;
}

/** A `git cat-file --batch` process: requests written in order, answers parsed in order. */
class Batch {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private readonly waiting: {
    resolve: (a: Answer | undefined) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private failure: SathosError | undefined;

  constructor(private readonly dir: string) {
    this.child = spawn('git', ['--no-replace-objects', '-C', dir, 'cat-file', '--batch'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: GIT_ENV,
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', (cause) => {
      this.fail(gitFailed(dir, 'cannot run git cat-file', cause));
    });
    this.child.on('close', () => {
      this.fail(gitFailed(dir, 'git cat-file ended before answering'));
    });
  }

  private fail(error: SathosError): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  /** Parses every complete answer in the buffer: `<id> <type> <size>\n<bytes>\n` or `<name> missing\n`. */
  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end < 0 || this.waiting.length === 0) return;
      const header = this.buffer.subarray(0, end).toString('utf8');
      const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (\w+) (\d+)$/.exec(header);
      if (m === null) {
        this.buffer = this.buffer.subarray(end + 1);
        this.waiting.shift()?.resolve(undefined);
        continue;
      }
      const size = Number(m[3]);
      if (size > MAX_OBJECT_BYTES) {
        this.fail(
          gitFailed(this.dir, `an object of ${size} bytes is larger than ${MAX_OBJECT_BYTES}`),
        );
        this.child.kill('SIGKILL');
        return;
      }
      if (this.buffer.length < end + 1 + size + 1) return;
      const body = Buffer.from(this.buffer.subarray(end + 1, end + 1 + size));
      this.buffer = this.buffer.subarray(end + 1 + size + 1);
      this.waiting.shift()?.resolve({ id: m[1] ?? '', type: m[2] ?? '', body });
    }
  }

  /** The object `rev:path` names, or undefined when there is none. */
  get(name: string): Promise<Answer | undefined> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    // A newline would split one request into two and shift every later answer.
    if (name.includes('\n')) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${name}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** Entries of a raw tree object: `<mode> <name>\0<binary id>`. */
function treeFiles(body: Buffer, idBytes: number): string[] {
  const files: string[] = [];
  let offset = 0;
  while (offset < body.length) {
    const nul = body.indexOf(0, offset);
    if (nul < 0) break;
    const entry = body.subarray(offset, nul).toString('utf8');
    const space = entry.indexOf(' ');
    const mode = entry.slice(0, space);
    // Regular files only: GitHub does not follow a symbolic link to a workflow.
    if (mode === '100644' || mode === '100755') files.push(entry.slice(space + 1));
    offset = nul + 1 + idBytes;
  }
  return files;
}

/** Opens `dir` at `rev` (default HEAD); throws GIT_FAILED when it is not a repository or has no such commit. */
export async function openGitSource(dir: string, rev = 'HEAD'): Promise<RepositorySource> {
  if (rev.startsWith('-') || /[\s:]/.test(rev))
    throw new SathosError('USAGE', `"${rev}" is not a commit name; give a commit id or ref`);
  // `git -C sub/dir` finds the enclosing repository; judging it instead of the named one would mislead.
  if (!isRepositoryTop(dir))
    throw new SathosError(
      'USAGE',
      `${dir} is not the top directory of a git repository (no .git there); give the repository's top directory`,
    );
  const batch = new Batch(dir);
  const head = await batch.get(`${rev}^{commit}`).catch((cause: unknown) => {
    batch.close();
    throw cause;
  });
  if (head?.type !== 'commit') {
    batch.close();
    throw gitFailed(dir, `"${rev}" names no commit`);
  }
  const commit = head.id;
  return {
    commit,
    async list(sub) {
      const tree = await batch.get(`${commit}:${sub.replace(/\/+$/, '')}`);
      if (tree?.type !== 'tree') return [];
      return treeFiles(tree.body, commit.length / 2).map(
        (name) => `${sub.replace(/\/+$/, '')}/${name}`,
      );
    },
    async read(paths) {
      const answers = await Promise.all(paths.map((p) => batch.get(`${commit}:${p}`)));
      const files = new Map<string, string>();
      paths.forEach((p, i) => {
        const a = answers[i];
        if (a?.type === 'blob') files.set(p, a.body.toString('utf8'));
      });
      return files;
    },
    close: () => {
      batch.close();
    },
  };
}
