// Files an action is pointed at by its inputs (keys, policies, trust roots): read through the one
// bounded reader (@sathos/node), so a FIFO, a device or an oversized file is refused, never waited on.
import { readBoundedFile } from '@sathos/node';

/** Reads a UTF-8 file named by an input; FILE_UNREADABLE or TOO_LARGE name the input and path. */
export async function readInputFile(
  path: string,
  input: string,
  maxBytes: number,
): Promise<string> {
  const what = `file given as ${input} (paths are relative to the workspace)`;
  const bytes = await readBoundedFile(path, { what, maxBytes, tooLarge: 'TOO_LARGE' });
  return bytes.toString('utf8');
}
