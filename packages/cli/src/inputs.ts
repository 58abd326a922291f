// Reading the files a command is given: the edge where paths become trust material, keys, policies
// and artifact digests. Every file goes through one bounded reader with its kind's limit: a missing,
// unreadable or non-regular file is a usage error naming it, and a file over its kind's limit is
// refused before it is read, with the limit in the message, under the code garbage in it would get.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ArtifactInput, FileLimit, TrustedPublicKey, Trust } from '@sathos/core';
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
  digestsOfStream,
  githubTrust,
  parsePublicKeys,
  publicGoodTrust,
  readBoundedFile,
  trustFromJSON,
} from '@sathos/core';

/** Artifacts are hashed in memory; larger ones should be verified by `--digest`. */
export const MAX_ARTIFACT_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * Every kind of file the command line reads: the only way it reads one. Settings (roots, keys,
 * signers, policies, inputs, baselines) and artifacts over their limit are usage errors (exit 2), as
 * garbage in them is; the evidence judged (bundles, chains) is rejected (exit 1), as a malformed one is.
 */
export const INPUT_FILES = {
  bundle: { what: 'bundle', maxBytes: MAX_BUNDLE_FILE_BYTES, tooLarge: 'TOO_LARGE' },
  chain: { what: 'chain', maxBytes: CHAIN_LIMITS.maxBytes, tooLarge: 'TOO_LARGE' },
  artifact: { what: 'artifact', maxBytes: MAX_ARTIFACT_BYTES, tooLarge: 'USAGE' },
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
