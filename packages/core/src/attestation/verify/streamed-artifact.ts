// An artifact read once, as a stream, for bundle verification: its digests (all a DSSE bundle's
// subjects need) and, for message-signature (hashedrekord) bundles, which sign the artifact bytes
// themselves, the message digest and the signature checked under each candidate key in the same
// pass. Memory stays one chunk whatever the artifact's size; nothing is held to verify later.
import { createHash, createVerify, type Hash, type KeyObject, type Verify } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { crypto as sigstoreCrypto } from '@sigstore/core';
import { DIGEST_ALGORITHMS, type Digest } from '../../digest.js';
import { leafCertificate } from './leaf-certificate.js';

/** protobuf HashAlgorithm → node:crypto name (unspecified means SHA-256, as sigstore-js reads it). */
export const MESSAGE_HASHES: Readonly<Record<number, string>> = {
  0: 'sha256',
  1: 'sha256',
  2: 'sha384',
  3: 'sha512',
  4: 'sha3-256',
  5: 'sha3-384',
};

/** One signature over the artifact, checked under one key with one hash while it streamed. */
interface SignatureCheck {
  readonly key: KeyObject;
  readonly hash: string;
  readonly signature: Buffer;
  readonly verified: boolean;
}

/** What one pass over the artifact proved. Made only by `streamArtifact`. */
export interface StreamedArtifact {
  /** Every digest a subject may name the artifact by. */
  readonly digests: readonly Digest[];
  /** The artifact's digest under each hash a message-signature bundle named (node:crypto names). */
  readonly messageDigests: ReadonlyMap<string, Buffer>;
  readonly signatureChecks: readonly SignatureCheck[];
}

/** A message signature to check while the artifact streams, under each key that might have made it. */
export interface PendingSignature {
  readonly hash: string;
  readonly signature: Buffer;
  readonly keys: readonly KeyObject[];
}

/** The public key of a certificate-signed bundle's leaf; undefined for key-signed bundles. */
export function leafKey(bundle: Bundle): KeyObject | undefined {
  const leaf = leafCertificate(bundle);
  if (leaf === undefined) return undefined;
  try {
    // The key sigstore-js hands to the signature check: the leaf's SubjectPublicKeyInfo.
    return sigstoreCrypto.createPublicKey(leaf.publicKey);
  } catch {
    return undefined;
  }
}

interface Running {
  readonly pending: PendingSignature;
  readonly key: KeyObject;
  readonly verify: Verify | undefined;
}

// A hash node cannot make (or a key it cannot verify with) verifies nothing: fail closed.
function startVerify(hash: string): Verify | undefined {
  try {
    return createVerify(hash);
  } catch {
    return undefined;
  }
}

function verifies(run: Running): boolean {
  try {
    return run.verify?.verify(run.key, run.pending.signature) ?? false;
  } catch {
    return false;
  }
}

function finish(run: Running): SignatureCheck {
  const { hash, signature } = run.pending;
  return { key: run.key, hash, signature, verified: verifies(run) };
}

/**
 * Reads `chunks` once: every digest, the message digest under each hash in `pending`, and each
 * pending signature under each of its keys. A read error propagates to the caller.
 */
export async function streamArtifact(
  chunks: AsyncIterable<Uint8Array>,
  pending: readonly PendingSignature[],
): Promise<StreamedArtifact> {
  const digests = DIGEST_ALGORITHMS.map((algorithm) => ({
    algorithm,
    hash: createHash(algorithm),
  }));
  const messageHashes = new Map<string, Hash>();
  for (const { hash } of pending) {
    if (!messageHashes.has(hash) && MESSAGE_HASH_NAMES.has(hash)) {
      messageHashes.set(hash, createHash(hash));
    }
  }
  const running: Running[] = pending.flatMap((p) =>
    p.keys.map((key) => ({ pending: p, key, verify: startVerify(p.hash) })),
  );
  for await (const chunk of chunks) {
    for (const { hash } of digests) hash.update(chunk);
    for (const hash of messageHashes.values()) hash.update(chunk);
    for (const run of running) run.verify?.update(chunk);
  }
  const streamed: StreamedArtifact = Object.freeze({
    digests: Object.freeze(
      digests.map(({ algorithm, hash }) => ({ algorithm, hex: hash.digest('hex') })),
    ),
    messageDigests: new Map([...messageHashes].map(([name, hash]) => [name, hash.digest()])),
    signatureChecks: Object.freeze(running.map(finish)),
  });
  STREAMED.add(streamed);
  return streamed;
}

// The proofs `streamArtifact` made: a look-alike object (from JSON, say) proves nothing.
const STREAMED = new WeakSet<object>();

const MESSAGE_HASH_NAMES = new Set(Object.values(MESSAGE_HASHES));

/** True when the stream proved `signature` over the artifact under `key` with `hash`. */
export function streamedSignatureVerifies(
  artifact: StreamedArtifact,
  key: KeyObject,
  hash: string,
  signature: Buffer,
): boolean {
  return artifact.signatureChecks.some(
    (c) => c.verified && c.hash === hash && c.signature.equals(signature) && c.key.equals(key),
  );
}

/** True only for what `streamArtifact` returned, never for an object shaped like it. */
export function isStreamedArtifact(value: object): value is StreamedArtifact {
  return STREAMED.has(value);
}
