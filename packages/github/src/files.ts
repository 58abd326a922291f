// Files an action is pointed at by its inputs (keys, policies, trust roots): read through the one
// bounded reader (@sathos/node), so a FIFO, a device or an oversized file is refused, never waited on.
import {
  MAX_TRUSTED_ROOT_BYTES,
  SathosError,
  githubTrust,
  publicGoodTrust,
  trustFromJSON,
  type Trust,
} from '@sathos/core';
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

/**
 * The trusted root a `trusted-root` input names: `embedded:public-good`, `embedded:github`, or a
 * trusted_root.json file (refused with TRUST_ROOT_UNREADABLE when it is not JSON). What no input
 * means differs between actions, so each caller decides that itself.
 */
export async function readTrustedRootInput(path: string): Promise<Trust> {
  if (path === 'embedded:public-good') return publicGoodTrust();
  if (path === 'embedded:github') return githubTrust();
  const text = await readInputFile(path, 'trusted-root', MAX_TRUSTED_ROOT_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SathosError('TRUST_ROOT_UNREADABLE', 'the trusted root is not JSON', {
      where: path,
      cause,
    });
  }
  return trustFromJSON(json, path);
}
