// Reading the files a command is given: the edge where paths become trust material, keys, policies
// and artifact digests. Every failure is a one-line usage error naming the file.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArtifactInput, TrustedPublicKey, Trust } from '@sathos/core';
import {
  MAX_TRUSTED_ROOT_BYTES,
  SathosError,
  digestsOfStream,
  githubTrust,
  parsePublicKeys,
  publicGoodTrust,
  trustFromJSON,
} from '@sathos/core';

/** Artifacts are hashed in memory; larger ones should be verified by `--digest`. */
export const MAX_ARTIFACT_BYTES = 2 * 1024 * 1024 * 1024 - 1;
const MAX_TEXT_INPUT_BYTES = 256 * 1024 * 1024;

export async function readBytes(
  path: string,
  what: string,
  maxBytes = MAX_TEXT_INPUT_BYTES,
): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > maxBytes) {
      throw new SathosError('TOO_LARGE', `${what} is larger than ${maxBytes} bytes`, {
        where: path,
      });
    }
    return await readFile(path);
  } catch (cause) {
    if (cause instanceof SathosError) throw cause;
    throw new SathosError('FILE_UNREADABLE', `cannot read ${what}; check the path`, {
      where: path,
      cause,
    });
  }
}

export async function readText(path: string, what: string, maxBytes?: number): Promise<string> {
  return (await readBytes(path, what, maxBytes)).toString('utf8');
}

/** Names for the roots embedded in sathos; a colon keeps them apart from file paths. */
export const EMBEDDED_ROOTS: Readonly<Record<string, () => Trust>> = {
  'embedded:public-good': publicGoodTrust,
  'embedded:github': githubTrust,
};

/**
 * The trusted root named by `--trusted-root`: a trusted_root.json path, or `embedded:public-good`
 * (the default) or `embedded:github` (GitHub's own Sigstore instance, for private repositories).
 */
export async function readTrust(path: string | undefined): Promise<Trust> {
  if (path === undefined) return publicGoodTrust();
  const embedded = Object.hasOwn(EMBEDDED_ROOTS, path) ? EMBEDDED_ROOTS[path] : undefined;
  if (embedded !== undefined) return embedded();
  const text = await readText(path, 'trusted root', MAX_TRUSTED_ROOT_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SathosError(
      'TRUST_ROOT_UNREADABLE',
      'trusted root is not JSON; pass a trusted_root.json',
      {
        where: path,
        cause,
      },
    );
  }
  return trustFromJSON(json, path);
}

export async function readKeys(paths: readonly string[] | undefined): Promise<TrustedPublicKey[]> {
  const keys: TrustedPublicKey[] = [];
  for (const path of paths ?? [])
    keys.push(...parsePublicKeys(await readText(path, 'public key'), path));
  return keys;
}

/** An artifact's digests, hashed as a stream: any size, one chunk in memory at a time. */
export async function readArtifact(path: string): Promise<ArtifactInput> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    return { name: basename(path), digests: await digestsOfStream(createReadStream(path)) };
  } catch (cause) {
    throw new SathosError('FILE_UNREADABLE', 'cannot read artifact; check the path', {
      where: path,
      cause,
    });
  }
}
