// OpenPGP commit signatures (RFC 4880/9580 detached signatures, as `git commit -S` with gpg writes
// them), checked with the `openpgp` library against armored public keys. Key expiry is judged at the
// signature's time, which must lie within MAX_SIGNATURE_SKEW_MS of the commit's committer time, and a
// hard revocation rejects the key whenever it was issued. The key's validity is judged at `validAt`
// (the trusted verification time, or the committer time when the policy asks for it).
import { createHash } from 'node:crypto';
import type { Key, KeyID, PublicKey, SignaturePacket } from 'openpgp';
import { SathosError, describeCause } from '../../../errors.js';

/** An armored key text larger than this is refused. */
export const MAX_PGP_KEYS_BYTES = 4 * 1024 * 1024;
/** How far the signature's own time may lie from the committer time (git signs right after dating). */
export const MAX_SIGNATURE_SKEW_MS = 10 * 60 * 1000;

const PUBLIC_KEY_BLOCK =
  /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

export const PGP_SIGNATURE_ARMOR = '-----BEGIN PGP SIGNATURE-----';

// openpgp.js is loaded only when a policy names OpenPGP keys or a commit carries an OpenPGP
// signature: it is the heaviest library a bundle carries, and most runs never touch it (the action
// bundles put it in a chunk of its own).
const openpgp = () => import('./library.js');

export interface PgpSigner {
  /** The user ID of the key that names the committer's email. */
  readonly signer: string;
  /** Fingerprint of the (sub)key that signed, upper-case hex. */
  readonly key: string;
}

/** Reads armored public keys; refuses private keys and unreadable text (POLICY_INVALID). */
export async function readPgpKeys(armored: string, source = 'pgpKeys'): Promise<PublicKey[]> {
  if (Buffer.byteLength(armored) > MAX_PGP_KEYS_BYTES) {
    throw new SathosError('TOO_LARGE', `larger than ${MAX_PGP_KEYS_BYTES} bytes`, {
      where: source,
    });
  }
  if (armored.includes('PRIVATE KEY BLOCK-----')) {
    throw new SathosError(
      'POLICY_INVALID',
      'holds a private key; give public keys only (gpg --export --armor)',
      { where: source },
    );
  }
  const blocks = armored.match(PUBLIC_KEY_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new SathosError(
      'POLICY_INVALID',
      'holds no "PGP PUBLIC KEY BLOCK"; give ASCII-armored public keys (gpg --export --armor)',
      { where: source },
    );
  }
  const { readKeys } = await openpgp();
  const keys: Key[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      keys.push(...(await readKeys({ armoredKeys: block })));
    } catch (cause) {
      throw new SathosError(
        'POLICY_INVALID',
        `key block ${i + 1} is not a readable OpenPGP public key: ${describeCause(cause)}`,
        { where: source, cause },
      );
    }
  }
  if (keys.some((k) => k.isPrivate())) {
    throw new SathosError(
      'POLICY_INVALID',
      'holds a private key; give public keys only (gpg --export --armor)',
      {
        where: source,
      },
    );
  }
  const seen = new Set<string>();
  for (const key of keys) {
    const fingerprint = key.getFingerprint().toUpperCase();
    if (seen.has(fingerprint)) {
      throw new SathosError(
        'POLICY_INVALID',
        `key ${fingerprint} appears more than once (a stale copy may lack its revocation or expiry); keep only its current export`,
        { where: source },
      );
    }
    seen.add(fingerprint);
  }
  return keys.map((k) => k.toPublic());
}

function rejected(message: string, cause?: unknown): SathosError {
  return new SathosError('SIGNATURE_INVALID', message, cause === undefined ? {} : { cause });
}

// RFC 4880 §9.4 hash algorithm IDs and §5.2.1 signature type 0x00 (binary document), as numbers so
// this table needs no openpgp.js (its enums hold the same values).
const QUICK_CHECK_HASHES: ReadonlyMap<number, string> = new Map([
  [2, 'sha1'],
  [11, 'sha224'],
  [8, 'sha256'],
  [9, 'sha384'],
  [10, 'sha512'],
]);
const BINARY_SIGNATURE = 0;

/** The digest a v4 binary signature signs: the payload, the hashed fields, and the v4 trailer. */
function v4BinaryDigest(packet: SignaturePacket, payload: Buffer): Buffer | undefined {
  const algorithm = QUICK_CHECK_HASHES.get(packet.hashAlgorithm ?? -1);
  const hashed = packet.signatureData;
  const type: number | null = packet.signatureType; // openpgp's enum, compared by its number
  if (packet.version !== 4 || type !== BINARY_SIGNATURE) return undefined;
  if (algorithm === undefined || hashed === null) return undefined;
  const trailer = Buffer.alloc(6);
  trailer[0] = 4;
  trailer[1] = 0xff;
  trailer.writeUInt32BE(hashed.length, 2);
  return createHash(algorithm).update(payload).update(hashed).update(trailer).digest();
}

// The two "left 16 bits of the hash" octets are a quick check outside what is signed (RFC 4880
// §5.2.3); GitHub's web flow wrote wrong ones until 2021, which GnuPG ignores and openpgp.js refuses
// before checking the signature. They are set to the digest's own here, so the public-key signature
// over the full digest alone decides — as it does for gpg and `git verify-commit`.
function repairQuickCheck(packet: SignaturePacket, payload: Buffer): void {
  const digest = v4BinaryDigest(packet, payload);
  if (digest !== undefined) packet.signedHashValue = new Uint8Array(digest.subarray(0, 2));
}

// openpgp.js judges the key at the signature's own time, which the signer chooses; the policy's
// time (trusted now, or the committer time) must find the signing key unexpired and unrevoked too.
async function assertKeyValidAt(key: PublicKey, keyID: KeyID, at: Date): Promise<void> {
  await key.getSigningKey(keyID, at).catch((cause: unknown) => {
    throw rejected(
      `OpenPGP key ${key.getFingerprint().toUpperCase()} is not valid at ${at.toISOString()} (the signature time the policy judges keys at): ${describeCause(cause)}`,
      cause,
    );
  });
}

/**
 * Verifies a detached signature over `payload` by one of `keys` for `email`; the signature's own time
 * must lie near the committer `time`, and the key must be valid (not expired, not revoked) at
 * `validAt`.
 */
export async function verifyPgpSignature(input: {
  readonly armoredSignature: string;
  readonly payload: Buffer;
  readonly keys: readonly PublicKey[];
  readonly time: Date;
  readonly validAt: Date;
  readonly email: string;
}): Promise<PgpSigner> {
  const { createMessage, readSignature, verify } = await openpgp();
  const signature = await readSignature({ armoredSignature: input.armoredSignature }).catch(
    (cause: unknown) => {
      throw rejected(`the OpenPGP signature cannot be read: ${describeCause(cause)}`, cause);
    },
  );
  const packets = signature.packets;
  if (packets.length !== 1)
    throw rejected(`the OpenPGP signature holds ${packets.length} signatures, not 1`);
  const ids = signature.getSigningKeyIDs();
  const key = input.keys.find((k) => ids.some((id) => k.getKeys(id).length > 0));
  if (key === undefined) {
    const named = ids.map((id) => id.toHex().toUpperCase()).join(', ');
    throw new SathosError(
      'UNTRUSTED_SIGNER',
      `signed by OpenPGP key ${named}, which is not in the allowed keys`,
    );
  }
  const created = packets[0]?.created ?? null;
  if (
    created === null ||
    Math.abs(created.getTime() - input.time.getTime()) > MAX_SIGNATURE_SKEW_MS
  ) {
    throw rejected('the OpenPGP signature time is more than 10 minutes from the committer time');
  }
  repairQuickCheck(packets[0] as SignaturePacket, input.payload);
  const date = created > input.validAt ? created : input.validAt;
  const result = await verify({
    message: await createMessage({ binary: new Uint8Array(input.payload) }),
    signature,
    verificationKeys: [key],
    date,
    expectSigned: true,
    format: 'binary',
  }).catch((cause: unknown) => {
    throw rejected(`the OpenPGP signature does not verify: ${describeCause(cause)}`, cause);
  });
  const used = result.signatures[0];
  const subkey = used === undefined ? undefined : key.getKeys(used.keyID)[0];
  if (subkey === undefined) throw rejected('the OpenPGP signature names no key');
  await assertKeyValidAt(key, subkey.getKeyID(), date);
  const user = await key.getPrimaryUser(date, { email: input.email }).catch(() => undefined);
  if (user?.user.userID == null) {
    throw new SathosError(
      'UNTRUSTED_SIGNER',
      `OpenPGP key ${key.getFingerprint().toUpperCase()} has no valid user ID for the committer ${input.email}`,
    );
  }
  return { signer: user.user.userID.userID, key: subkey.getFingerprint().toUpperCase() };
}
