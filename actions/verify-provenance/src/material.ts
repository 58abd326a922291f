// What the inputs point at, read from the workspace: the artifacts (globs hashed as streams), the
// trusted root, the public keys. Every file goes through @sathos/github's bounded reader.
import { createReadStream } from 'node:fs';
import { glob, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  MAX_PUBLIC_KEY_BYTES,
  SathosError,
  digestsOfStream,
  formatDigest,
  parseDigest,
  parsePublicKeys,
  type ArtifactInput,
  type Trust,
  type TrustedPublicKey,
} from '@sathos/core';
import { readInputFile, readTrustedRootInput } from '@sathos/github';

/** Every file a pattern names (a plain path names itself); a pattern naming none is a usage error. */
async function filesOf(pattern: string): Promise<string[]> {
  const files: string[] = [];
  for await (const path of glob(pattern)) {
    if ((await stat(path)).isFile()) files.push(path);
  }
  if (files.length === 0) {
    throw new SathosError('USAGE', `input "artifacts": no file matches ${JSON.stringify(pattern)}`);
  }
  return files.sort();
}

async function hashed(path: string): Promise<ArtifactInput> {
  const digests = await digestsOfStream(createReadStream(path));
  return { name: basename(path), digests };
}

/** The artifacts the inputs name: files (each read once, as a stream) and digests. */
export async function readArtifacts(
  patterns: readonly string[],
  digests: readonly string[],
): Promise<ArtifactInput[]> {
  const paths = [...new Set((await Promise.all(patterns.map(filesOf))).flat())];
  const files = await Promise.all(paths.map(hashed));
  const named = digests.map((text) => {
    const digest = parseDigest(text);
    if (digest === undefined) {
      throw new SathosError(
        'USAGE',
        `input "digests": ${JSON.stringify(text)} must be <alg>:<hex> (sha256, sha384, sha512 or sha1)`,
      );
    }
    return { name: formatDigest(digest), digests: [digest] };
  });
  return [...files, ...named];
}

/** The trusted root named, or undefined: each bundle is then judged by its issuer's embedded root. */
export async function readTrust(path: string | undefined): Promise<Trust | undefined> {
  return path === undefined ? undefined : readTrustedRootInput(path);
}

export async function readKeys(paths: readonly string[]): Promise<TrustedPublicKey[]> {
  const keys: TrustedPublicKey[] = [];
  for (const path of paths) {
    keys.push(
      ...parsePublicKeys(await readInputFile(path, 'verify-keys', MAX_PUBLIC_KEY_BYTES), path),
    );
  }
  return keys;
}
