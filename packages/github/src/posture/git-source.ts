// The repository at the verified commit, read from git objects rather than the working tree: what
// is judged is exactly what the commit holds, whatever was checked out or changed since.
import { spawn } from 'node:child_process';
import { SathosError } from '@sathos/core';

/** What posture reads from a repository; tests and other sources can hand in their own. */
export interface RepositorySource {
  /** The commit the files are read at (full hex id). */
  readonly commit: string;
  /** Regular files directly in `dir` (repository-relative). */
  list(dir: string): Promise<string[]>;
  /** Files' text by path; a path that is not a regular file at the commit is absent. */
  read(paths: readonly string[]): Promise<Map<string, string>>;
}

const MAX_GIT_BYTES = 256 * 1024 * 1024;
const GIT_TIMEOUT_MS = 60_000;

function git(dir: string, args: readonly string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--no-replace-objects', '-C', dir, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: GIT_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_GIT_BYTES) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString('utf8');
    });
    child.on('error', (cause) => {
      reject(
        new SathosError('GIT_FAILED', 'cannot run git; install it and put it on PATH', {
          where: dir,
          cause,
        }),
      );
    });
    child.on('close', (code) => {
      if (code === 0 && size <= MAX_GIT_BYTES) resolve(Buffer.concat(out));
      else
        reject(
          new SathosError(
            'GIT_FAILED',
            `git ${args[0] ?? ''} failed: ${err.split('\n', 1)[0] || (size > MAX_GIT_BYTES ? 'too much output' : `exit ${String(code)}`)}; check the repository and commit`,
            { where: dir },
          ),
        );
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** `git cat-file --batch` output: `<id> blob <size>\n<bytes>\n` per found object, `<name> missing\n` otherwise. */
function readBatch(output: Buffer, paths: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  let offset = 0;
  for (const path of paths) {
    const end = output.indexOf(0x0a, offset);
    if (end < 0) break;
    const header = output.subarray(offset, end).toString('utf8');
    offset = end + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (m === null) continue;
    const size = Number(m[2]);
    if (m[1] === 'blob') files.set(path, output.subarray(offset, offset + size).toString('utf8'));
    offset += size + 1;
  }
  return files;
}

/** Opens `dir` at `rev` (default HEAD); throws GIT_FAILED when it is not a repository or has no such commit. */
export async function openGitSource(dir: string, rev = 'HEAD'): Promise<RepositorySource> {
  if (rev.startsWith('-') || /[\s:]/.test(rev))
    throw new SathosError('USAGE', `"${rev}" is not a commit name; give a commit id or ref`);
  // `git -C sub/dir` finds the enclosing repository; judging it instead of the named one would mislead.
  const prefix = (await git(dir, ['rev-parse', '--show-prefix'])).toString('utf8').trim();
  if (prefix !== '')
    throw new SathosError(
      'USAGE',
      `${dir} is a directory inside a repository (${prefix}); give the repository's top directory`,
    );
  const commit = (await git(dir, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`]))
    .toString('utf8')
    .trim();
  return {
    commit,
    async list(sub) {
      const out = await git(dir, [
        'ls-tree',
        '-z',
        '--full-tree',
        commit,
        '--',
        `${sub.replace(/\/+$/, '')}/`,
      ]);
      return out
        .toString('utf8')
        .split('\0')
        .filter((e) => e.startsWith('100644 blob ') || e.startsWith('100755 blob '))
        .map((e) => e.slice(e.indexOf('\t') + 1));
    },
    async read(paths) {
      const wanted = paths.filter((p) => !p.includes('\n') && !p.startsWith('/'));
      if (wanted.length === 0) return new Map();
      const out = await git(
        dir,
        ['cat-file', '--batch'],
        wanted.map((p) => `${commit}:${p}\n`).join(''),
      );
      return readBatch(out, wanted);
    },
  };
}
