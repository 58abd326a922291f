// Files a person or a workflow names: read whole but bounded, and directories made one level at a
// time. Both refuse what is not a regular file or a directory instead of blocking or spinning on it.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SathosError, describeCause, type ErrorCode } from '@sathos/core';

/** What a file holds, the most it may hold, and the code a larger one gets. */
export interface FileLimit {
  /** For messages: `trusted root`, `allowed signers file`, `bundle`. */
  readonly what: string;
  readonly maxBytes: number;
  /**
   * The code for a file over the limit: the code garbage in the same file gets, so oversize is judged
   * like any other unusable content (a settings file: a usage code; the evidence judged: a rejection).
   */
  readonly tooLarge: ErrorCode;
}

const READ_CHUNK_BYTES = 1024 * 1024;

/** Why a path could not be used, in words a person acts on. */
function reasonOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ENOTDIR') return 'a parent in the path is not a directory';
  if (code === 'ELOOP') return 'too many symbolic links';
  return cause instanceof Error ? (cause.message.split('\n', 1)[0] ?? '') : String(cause);
}

function unreadable(path: string, what: string, reason: string, cause?: unknown): SathosError {
  return new SathosError('FILE_UNREADABLE', `cannot read the ${what}: ${reason}; check the path`, {
    where: path,
    ...(cause === undefined ? {} : { cause }),
  });
}

function tooLarge(path: string, limit: FileLimit): SathosError {
  return new SathosError(
    limit.tooLarge,
    `${limit.what} is larger than the limit of ${limit.maxBytes} bytes; check it is the right file`,
    { where: path },
  );
}

// Reads at most maxBytes + 1 bytes whatever the size said: /proc files say 0, and files grow.
async function readAtMost(handle: FileHandle, path: string, limit: FileLimit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, limit.maxBytes + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > limit.maxBytes) throw tooLarge(path, limit);
  }
}

/**
 * The whole content of the regular file at `path`, refused before it is read when it is larger than
 * the limit. Unreadable, missing, a directory, a FIFO or a device: FILE_UNREADABLE, never a hang.
 */
export async function readBoundedFile(path: string, limit: FileLimit): Promise<Buffer> {
  if (path === '') throw unreadable(path, limit.what, 'the path is empty');
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO with no writer opens at once (and is refused below) instead of blocking.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw unreadable(path, limit.what, reasonOf(cause), cause);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw unreadable(path, limit.what, 'it is a directory');
    if (!info.isFile()) throw unreadable(path, limit.what, 'not a regular file');
    if (info.size > limit.maxBytes) throw tooLarge(path, limit);
    return await readAtMost(handle, path, limit);
  } catch (cause) {
    if (cause instanceof SathosError) throw cause;
    throw unreadable(path, limit.what, reasonOf(cause), cause);
  } finally {
    await handle.close();
  }
}

async function statOrMissing(path: string): Promise<{ isDirectory(): boolean } | undefined> {
  try {
    return await stat(path);
  } catch (cause) {
    // ENOTDIR: a parent is a file; the walk up reaches it and says so.
    const code = (cause as { code?: unknown } | null)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw cause;
  }
}

/**
 * Makes `path` and its missing parents, one mkdir each. Node's recursive mkdir retries forever where
 * mkdir answers ENOENT under a parent that exists (/proc/x): this makes each level once and fails.
 */
export async function makeDirectories(path: string, code: ErrorCode, what: string): Promise<void> {
  const fail = (reason: string, cause?: unknown): SathosError =>
    new SathosError(code, `cannot create the ${what}: ${reason}; choose a writable directory`, {
      where: path,
      ...(cause === undefined ? {} : { cause }),
    });
  const missing: string[] = [];
  try {
    // Up to the nearest existing ancestor: at most one step per component of the path.
    for (let current = resolve(path); ; current = dirname(current)) {
      const info = await statOrMissing(current);
      if (info !== undefined) {
        if (!info.isDirectory()) throw fail(`${current} is not a directory`);
        break;
      }
      missing.unshift(current);
      if (dirname(current) === current) break;
    }
    for (const dir of missing) {
      await mkdir(dir).catch(async (cause: unknown) => {
        // Made by someone else meanwhile is fine; anything else is not.
        if ((await statOrMissing(dir))?.isDirectory() !== true) throw cause;
      });
    }
  } catch (cause) {
    if (cause instanceof SathosError) throw cause;
    throw fail(describeCause(cause), cause);
  }
}
