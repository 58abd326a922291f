// Streaming digests of a step's files: each file read in 1 MiB chunks into a buffer its worker
// reuses, so memory is a few buffers whatever the files' sizes or count; files hashed `concurrency`
// at a time (reads overlap while one is hashed). SHA-256 always, SHA-512 too on request.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readlink, realpath } from 'node:fs/promises';
import type { Subject, SubjectAlgorithm } from '@sathos/core';
import { SathosError } from '@sathos/core';
import type { WorkspaceFile } from './workspace-paths.js';

export interface HashProgress {
  readonly files: number;
  readonly totalFiles: number;
  readonly bytes: number;
  readonly totalBytes: number;
}

export interface HashOptions {
  /** Digests besides SHA-256 (which is always computed): `['sha512']` on request. */
  readonly extra?: readonly Exclude<SubjectAlgorithm, 'sha256'>[];
  /** Files hashed at once; 4 by default. */
  readonly concurrency?: number;
  /** Called as bytes are hashed; the caller decides how often to show it. */
  readonly onProgress?: (progress: HashProgress) => void;
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * The path the open file really has. O_NOFOLLOW guards only the last component: a directory on
 * the way swapped for a link since the check would be followed. Linux names the opened file in
 * /proc/self/fd; elsewhere the path is resolved again (a narrower window, not none).
 */
async function openedPath(handle: FileHandle, path: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return realpath(path);
  }
}

async function openChecked(file: WorkspaceFile): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW and O_NONBLOCK: a link or a FIFO swapped in since the path was checked is refused
    // at once instead of followed or blocked on.
    handle = await open(
      file.path,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (cause) {
    throw new SathosError('FILE_UNREADABLE', 'cannot open the file to hash it', {
      where: file.name,
      cause,
    });
  }
  const info = await handle.stat();
  if (!info.isFile() || info.dev !== file.dev || info.ino !== file.ino) {
    await handle.close();
    throw new SathosError(
      'SUBJECT_INVALID',
      'the file was replaced while the step resolved its subjects; run the step again',
      { where: file.name },
    );
  }
  const opened = await openedPath(handle, file.path).catch(() => undefined);
  if (opened !== file.path) {
    await handle.close();
    throw new SathosError(
      'SUBJECT_INVALID',
      `a directory on its path was swapped for a link since it was checked (it now opens ${opened ?? 'another file'}); attest files inside the workspace and run the step again`,
      { where: file.name },
    );
  }
  return handle;
}

async function hashOne(
  file: WorkspaceFile,
  algorithms: readonly SubjectAlgorithm[],
  buffer: Buffer,
  onBytes: (n: number) => void,
): Promise<Subject> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  const handle = await openChecked(file);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      for (const [, hash] of hashes) hash.update(chunk);
      onBytes(bytesRead);
    }
  } finally {
    await handle.close();
  }
  return {
    name: file.name,
    digest: Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')])),
  };
}

/** The subjects of `files`, in their order, each with its streamed digests. */
export async function hashFiles(
  files: readonly WorkspaceFile[],
  options: HashOptions = {},
): Promise<Subject[]> {
  const algorithms: SubjectAlgorithm[] = ['sha256', ...(options.extra ?? [])];
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const progress = { files: 0, totalFiles: files.length, bytes: 0, totalBytes };
  const report = options.onProgress;
  const out = new Array<Subject>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    while (next < files.length) {
      const i = next;
      next += 1;
      out[i] = await hashOne(files[i] as WorkspaceFile, algorithms, buffer, (n) => {
        progress.bytes += n;
        report?.({ ...progress });
      });
      progress.files += 1;
      report?.({ ...progress });
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, files.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return out;
}
