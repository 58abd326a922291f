// Reading the files a command is given: the edge where paths become trust material, keys, policies
// and artifact digests. Every file goes through one bounded reader with its kind's limit: a missing,
// unreadable or non-regular file is a usage error naming it, and a file over its kind's limit is
// refused before it is read, with the limit in the message, under the code garbage in it would get.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArtifactInput, TrustedPublicKey, Trust } from '@sathos/core';
import {
  BASELINE_LIMITS,
  CHAIN_LIMITS,
  INPUT_LIMITS,
  MAX_ALLOWED_SIGNERS_BYTES,
  MAX_BUNDLE_FILE_BYTES,
  MAX_PGP_KEYS_BYTES,
  MAX_PUBLIC_KEY_BYTES,
  MAX_TRUSTED_ROOT_BYTES,
  POLICY_LIMITS,
  SathosError,
  describeCause,
  digestsOfStream,
  githubTrust,
  parsePublicKeys,
  publicGoodTrust,
  trustFromJSON,
} from '@sathos/core';
import { readBoundedFile, type FileLimit } from '@sathos/node';

/**
 * Every kind of file the command line reads: the only way it reads one. Settings (roots, keys,
 * signers, policies, inputs, baselines) and artifacts over their limit are usage errors (exit 2), as
 * garbage in them is; the evidence judged (bundles, chains) is rejected (exit 1), as a malformed one is.
 */
export const INPUT_FILES = {
  bundle: { what: 'bundle', maxBytes: MAX_BUNDLE_FILE_BYTES, tooLarge: 'TOO_LARGE' },
  chain: { what: 'chain', maxBytes: CHAIN_LIMITS.maxBytes, tooLarge: 'TOO_LARGE' },
  trustedRoot: {
    what: 'trusted root',
    maxBytes: MAX_TRUSTED_ROOT_BYTES,
    tooLarge: 'TRUST_ROOT_UNREADABLE',
  },
  publicKey: { what: 'public key', maxBytes: MAX_PUBLIC_KEY_BYTES, tooLarge: 'KEY_UNREADABLE' },
  allowedSigners: {
    what: 'allowed signers file',
    maxBytes: MAX_ALLOWED_SIGNERS_BYTES,
    tooLarge: 'KEY_UNREADABLE',
  },
  pgpKeys: { what: 'OpenPGP keys file', maxBytes: MAX_PGP_KEYS_BYTES, tooLarge: 'KEY_UNREADABLE' },
  policy: { what: 'policy', maxBytes: POLICY_LIMITS.maxBytes, tooLarge: 'POLICY_INVALID' },
  policyInput: {
    what: 'policy input',
    maxBytes: INPUT_LIMITS.maxBytes,
    tooLarge: 'POLICY_INPUT_INVALID',
  },
  baseline: { what: 'baseline', maxBytes: BASELINE_LIMITS.maxBytes, tooLarge: 'BASELINE_INVALID' },
} as const satisfies Record<string, FileLimit>;

export type InputFile = keyof typeof INPUT_FILES;

/** The bytes of a file of the given kind, bounded by its limit. */
export function readInput(path: string, kind: InputFile): Promise<Buffer> {
  return readBoundedFile(path, INPUT_FILES[kind]);
}

export async function readInputText(path: string, kind: InputFile): Promise<string> {
  return (await readInput(path, kind)).toString('utf8');
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
  const text = await readInputText(path, 'trustedRoot');
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
    keys.push(...parsePublicKeys(await readInputText(path, 'publicKey'), path));
  return keys;
}

function artifactUnreadable(path: string, reason: string, cause?: unknown): SathosError {
  return new SathosError('FILE_UNREADABLE', `cannot read the artifact: ${reason}; check the path`, {
    where: path,
    ...(cause === undefined ? {} : { cause }),
  });
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * The file's bytes from the start, through one reused buffer: memory stays one chunk, not however
 * many a stream allocates before the collector runs. A chunk is valid until the next is asked for.
 */
async function* chunksOf(handle: FileHandle): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (let position = 0; ;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** An artifact opened once: read it by `chunks()` (any size, one chunk in memory at a time). */
export interface OpenArtifact {
  readonly name: string;
  /**
   * The file's bytes from the start, read from the descriptor opened (never the path again); each
   * chunk is valid until the next is asked for (hash it, do not keep it).
   */
  chunks(): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens the artifact at `path` once and checks what was opened: checking the path and then opening
 * it let a FIFO swapped in between hang verification. O_NONBLOCK makes a FIFO open at once (to be
 * refused); symbolic links are followed, as a user naming a file through one expects.
 */
export async function openArtifact(path: string): Promise<OpenArtifact> {
  if (path === '') throw artifactUnreadable(path, 'the path is empty');
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw artifactUnreadable(path, describeCause(cause), cause);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw artifactUnreadable(
        path,
        info.isDirectory() ? 'it is a directory' : 'not a regular file',
      );
    }
  } catch (cause) {
    await handle.close();
    if (cause instanceof SathosError) throw cause;
    throw artifactUnreadable(path, describeCause(cause), cause);
  }
  return {
    name: basename(path),
    chunks: () => chunksOf(handle),
    close: () => handle.close(),
  };
}

/** An artifact's digests, hashed as a stream from the one descriptor opened. */
export async function readArtifact(path: string): Promise<ArtifactInput> {
  const artifact = await openArtifact(path);
  try {
    return { name: artifact.name, digests: await digestsOfStream(artifact.chunks()) };
  } catch (cause) {
    throw artifactUnreadable(path, describeCause(cause), cause);
  } finally {
    await artifact.close();
  }
}
