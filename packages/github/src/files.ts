// Files an action is pointed at by its inputs (keys, policies, trust roots): read whole, bounded,
// with errors that name the input.
import { readFile, stat } from 'node:fs/promises';
import { SathosError } from '@sathos/core';

/** Reads a UTF-8 file named by an input; FILE_UNREADABLE or TOO_LARGE name the input and path. */
export async function readInputFile(
  path: string,
  input: string,
  maxBytes: number,
): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > maxBytes) {
      throw new SathosError(
        'TOO_LARGE',
        `the file given as ${input} is larger than ${maxBytes} bytes`,
        {
          where: path,
        },
      );
    }
    return await readFile(path, 'utf8');
  } catch (cause) {
    if (cause instanceof SathosError) throw cause;
    throw new SathosError(
      'FILE_UNREADABLE',
      `cannot read the file given as ${input}; check the path (relative to the workspace)`,
      { where: path, cause },
    );
  }
}
