// Digests as the in-toto DigestSet names them. Only algorithms Node's crypto computes are accepted.
import { createHash } from 'node:crypto';

export const DIGEST_ALGORITHMS = ['sha256', 'sha384', 'sha512', 'sha1'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** A DigestSet: algorithm name → lowercase hex (https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md). */
export type DigestSet = Readonly<Record<string, string>>;

/** One digest with its algorithm, e.g. from `--digest sha256:ab…`. */
export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = {
  sha1: 40,
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(value);
}

/** Parses `alg:hex`; returns undefined when the algorithm is unknown or the hex has the wrong length. */
export function parseDigest(text: string): Digest | undefined {
  const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(text.trim());
  if (!match) return undefined;
  const [, algorithm = '', hex = ''] = match;
  if (!isDigestAlgorithm(algorithm) || hex.length !== HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, hex: hex.toLowerCase() };
}

export function formatDigest(digest: Digest): string {
  return `${digest.algorithm}:${digest.hex}`;
}

export function hashBytes(algorithm: DigestAlgorithm, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every digest of an artifact's bytes that a subject may name it by. */
export function digestsOf(bytes: Uint8Array): Digest[] {
  return DIGEST_ALGORITHMS.map((algorithm) => ({ algorithm, hex: hashBytes(algorithm, bytes) }));
}

/**
 * Every digest of an artifact read in chunks (a file stream): memory stays one chunk whatever the
 * artifact's size, so artifacts larger than memory or than a Buffer (2 GiB) hash too.
 */
export async function digestsOfStream(chunks: AsyncIterable<Uint8Array>): Promise<Digest[]> {
  const hashes = DIGEST_ALGORITHMS.map((algorithm) => ({ algorithm, hash: createHash(algorithm) }));
  for await (const chunk of chunks) for (const { hash } of hashes) hash.update(chunk);
  return hashes.map(({ algorithm, hash }) => ({ algorithm, hex: hash.digest('hex') }));
}

/** True when the set names this digest (hex compared case-insensitively). */
export function digestSetContains(set: DigestSet, digest: Digest): boolean {
  const value = set[digest.algorithm];
  return typeof value === 'string' && value.toLowerCase() === digest.hex;
}

/**
 * True when the set names the artifact these digests describe: at least one algorithm both know
 * agrees, and none disagrees — a set whose sha1 matches but whose sha256 does not is about another
 * artifact (a SHA-1 collision twin), not this one.
 */
export function digestSetNames(set: DigestSet, digests: readonly Digest[]): boolean {
  // SHA-1 collisions can be made (SHAttered, 2017): when the caller knows a stronger digest (an
  // artifact's bytes give all of them), agreeing on SHA-1 alone binds nothing. A caller who names
  // only a SHA-1 (a git commit id) asked for exactly that.
  const sha1Only = digests.every((d) => d.algorithm === 'sha1');
  let agreed = false;
  for (const digest of digests) {
    const value = set[digest.algorithm];
    if (typeof value !== 'string') continue;
    if (value.toLowerCase() !== digest.hex) return false;
    if (digest.algorithm !== 'sha1' || sha1Only) agreed = true;
  }
  return agreed;
}
