// Which files a step's `subject-path` globs name, inside one workspace. Names are relative to the
// workspace root (`services/api/dist/app.tar`), so two artifacts with one basename stay distinct.
// Everything that could make a step attest bytes from outside the workspace is refused with the
// path named: `..`, absolute paths elsewhere, symbolic links leaving the root, and files that are
// not regular files (a FIFO would block the hashing forever, a device never ends).
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, matchesGlob, relative, resolve, sep } from 'node:path';
import { SathosError, SUBJECT_LIMITS, subjectNameProblem } from '@sathos/core';

/** A file a glob named: its name in the record and the checked real path to hash. */
export interface WorkspaceFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  /** Identity when resolved: hashing refuses a file swapped for another since. */
  readonly dev: number;
  readonly ino: number;
}

/** A walk visits at most this many directory entries: a glob over `/` costs bounded time. */
export const WALK_LIMITS = { maxEntries: 2_000_000 } as const;

const MAGIC = /[*?[\]{}!()+@]/;

function refuse(path: string, message: string): SathosError {
  return new SathosError('SUBJECT_INVALID', message, { where: path });
}

/** The pattern relative to the root, with `/` separators; `..` and paths outside refused. */
function workspacePattern(raw: string, root: string): string {
  const absolute = isAbsolute(raw);
  const rel = absolute ? relative(root, raw) : raw;
  if (absolute && (rel === '' || rel.startsWith('..') || isAbsolute(rel))) {
    throw refuse(raw, 'the path is outside the workspace; name artifacts inside it');
  }
  const pattern = rel.split(sep).join('/').replace(/^\.\//, '');
  if (pattern.split('/').includes('..')) {
    throw refuse(
      raw,
      'a subject path may not climb out with ".."; name it from the workspace root',
    );
  }
  return pattern;
}

/** The directory a pattern's matches all live under: its segments before the first wildcard. */
function staticPrefix(pattern: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (MAGIC.test(segment)) break;
    fixed.push(segment);
  }
  return fixed.join('/');
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** A matched entry checked: inside the root once links are followed, and a regular file. */
async function checkedFile(root: string, realRoot: string, name: string): Promise<WorkspaceFile> {
  // A name is signed into the record and shown in logs: a line break in it would forge lines.
  const problem = subjectNameProblem(name);
  if (problem !== undefined) throw refuse(name, `${problem}; rename the file`);
  const path = join(root, name);
  const real = await realpath(path).catch((cause: unknown) => {
    throw new SathosError('SUBJECT_INVALID', 'cannot resolve the path (a dangling link?)', {
      where: name,
      cause,
    });
  });
  const inside = relative(realRoot, real);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw refuse(
      name,
      `resolves through a symbolic link to ${real}, outside the workspace; attest files inside it`,
    );
  }
  const info = await stat(real);
  if (!info.isFile()) throw refuse(name, `is ${kindOf(info)}; only regular files are attested`);
  return { name, path: real, size: info.size, dev: info.dev, ino: info.ino };
}

interface Walk {
  entries: number;
  readonly found: Map<string, Dirent>;
}

/** Every entry under `dir` (relative to root) matching `pattern`; symlinked directories not entered. */
async function walk(root: string, dir: string, pattern: string, state: Walk): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') return;
    throw new SathosError('FILE_UNREADABLE', 'cannot list the directory', { where: dir, cause });
  }
  for (const entry of entries) {
    state.entries += 1;
    if (state.entries > WALK_LIMITS.maxEntries) {
      throw new SathosError(
        'TOO_LARGE',
        `the subject paths walk more than ${WALK_LIMITS.maxEntries} entries; narrow the globs`,
        { where: pattern },
      );
    }
    const name = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) await walk(root, name, pattern, state);
    else if (matchesGlob(name, pattern)) state.found.set(name, entry);
  }
}

/** The names one pattern matches: a literal path is looked up, a glob walked. */
async function matchesOf(root: string, pattern: string, raw: string): Promise<string[]> {
  if (!MAGIC.test(pattern)) {
    const info = await lstat(join(root, pattern)).catch(() => undefined);
    if (info === undefined) throw refuse(raw, 'no such file in the workspace');
    if (info.isDirectory()) throw refuse(raw, 'is a directory; give a glob such as dir/**');
    return [pattern];
  }
  const state: Walk = { entries: 0, found: new Map() };
  await walk(root, staticPrefix(pattern), pattern, state);
  if (state.found.size === 0) throw refuse(raw, 'the glob matches no file in the workspace');
  return [...state.found.keys()];
}

/**
 * The files the patterns name (one pattern per entry; blank ones skipped; `!pattern` excludes),
 * each checked, in name order. Linear in the entries walked; the checks run `concurrency` at once.
 */
export async function resolveSubjectPaths(
  patterns: readonly string[],
  workspace: string,
  concurrency = 16,
): Promise<WorkspaceFile[]> {
  const root = resolve(workspace);
  const realRoot = await realpath(root);
  const lines = patterns.map((p) => p.trim()).filter((p) => p.length > 0);
  const excludes = lines
    .filter((p) => p.startsWith('!'))
    .map((p) => workspacePattern(p.slice(1), root));
  const names = new Set<string>();
  for (const raw of lines.filter((p) => !p.startsWith('!'))) {
    for (const name of await matchesOf(root, workspacePattern(raw, root), raw)) {
      if (excludes.some((x) => matchesGlob(name, x))) continue;
      names.add(name);
      if (names.size > SUBJECT_LIMITS.maxSubjects) {
        throw new SathosError(
          'TOO_LARGE',
          `the subject paths name more than ${SUBJECT_LIMITS.maxSubjects} files; attest them in several steps`,
          { where: raw },
        );
      }
    }
  }
  if (names.size === 0) throw refuse(lines.join(' '), 'the subject paths name no file');
  const sorted = [...names].sort();
  const files: WorkspaceFile[] = new Array<WorkspaceFile>(sorted.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sorted.length) {
      const i = next;
      next += 1;
      files[i] = await checkedFile(root, realRoot, sorted[i] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sorted.length) }, worker));
  return files;
}
