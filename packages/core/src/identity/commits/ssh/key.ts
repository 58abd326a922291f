// OpenSSH public keys (RFC 4253 §6.6, RFC 5656, RFC 8709) as Node KeyObjects, their SHA256
// fingerprints as ssh-keygen prints them, and the signatures they make (RFC 8332 for RSA).
import { createHash, createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { SathosError } from '../../../errors.js';
import { SshReader } from './wire.js';

/** RSA keys shorter than this are refused, whatever ssh-keygen still accepts. */
export const MIN_RSA_BITS = 2048;

interface Curve {
  readonly crv: 'P-256' | 'P-384' | 'P-521';
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly bytes: number;
}

const CURVES: Readonly<Record<string, Curve>> = {
  'ecdsa-sha2-nistp256': { crv: 'P-256', hash: 'sha256', bytes: 32 },
  'ecdsa-sha2-nistp384': { crv: 'P-384', hash: 'sha384', bytes: 48 },
  'ecdsa-sha2-nistp521': { crv: 'P-521', hash: 'sha512', bytes: 66 },
};

const RSA_SIGNATURES: Readonly<Record<string, 'sha256' | 'sha512'>> = {
  'rsa-sha2-256': 'sha256',
  'rsa-sha2-512': 'sha512',
};

/** A plain (non-certificate) key: its algorithm name, its wire blob and the Node key. */
export interface SshKey {
  readonly type: string;
  readonly blob: Buffer;
  readonly key: KeyObject;
}

export const PLAIN_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', ...Object.keys(CURVES)] as const;

const b64url = (b: Buffer): string => b.toString('base64url');

function jwkKey(jwk: Record<string, string>, what: string): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    throw new SathosError('SIGNATURE_INVALID', `${what} is not a usable public key`, { cause });
  }
}

/** Reads the key fields that follow the algorithm name (shared by plain keys and certificates). */
export function readKeyFields(type: string, reader: SshReader, what: string): KeyObject {
  if (type === 'ssh-ed25519') {
    const x = reader.string();
    if (x.length !== 32) throw reader.invalid('an Ed25519 key that is not 32 bytes');
    return jwkKey({ kty: 'OKP', crv: 'Ed25519', x: b64url(x) }, what);
  }
  if (type === 'ssh-rsa') {
    const e = reader.mpint();
    const n = reader.mpint();
    return jwkKey({ kty: 'RSA', e: b64url(e), n: b64url(n) }, what);
  }
  const curve = CURVES[type];
  if (curve === undefined) {
    throw new SathosError('SIGNATURE_INVALID', `${what}: key type ${type} is not supported`);
  }
  if (`ecdsa-sha2-${reader.text()}` !== type)
    throw reader.invalid('a curve that contradicts its type');
  const q = reader.string();
  if (q.length !== 1 + 2 * curve.bytes || q[0] !== 4) throw reader.invalid('a malformed EC point');
  const x = q.subarray(1, 1 + curve.bytes);
  const y = q.subarray(1 + curve.bytes);
  return jwkKey({ kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) }, what);
}

/** Parses a plain public key blob (certificates are read by ssh-certificate.ts). */
export function parseSshKey(blob: Buffer, what: string): SshKey {
  const reader = new SshReader(blob, what);
  const type = reader.text();
  const key = readKeyFields(type, reader, what);
  reader.end();
  return { type, blob, key };
}

/** `SHA256:<base64, unpadded>` of the key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function fixedWidth(value: Buffer, bytes: number, reader: SshReader): Buffer {
  if (value.length > bytes)
    throw reader.invalid('an ECDSA signature value too large for its curve');
  return Buffer.concat([Buffer.alloc(bytes - value.length), value]);
}

/** Checks an SSH signature blob (`string format, string signature`) over `data`; throws when it fails. */
export function verifySshSignature(
  key: SshKey,
  data: Buffer,
  signature: Buffer,
  what: string,
): void {
  const reader = new SshReader(signature, what);
  const format = reader.text();
  const bytes = reader.string();
  reader.end();
  let ok: boolean;
  if (key.type === 'ssh-ed25519' && format === 'ssh-ed25519') {
    ok = verify(null, data, key.key, bytes);
  } else if (key.type === 'ssh-rsa' && RSA_SIGNATURES[format] !== undefined) {
    const bits = key.key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new SathosError('SIGNATURE_INVALID', `${what}: RSA key of ${bits} bits is too short`);
    }
    ok = verify(
      RSA_SIGNATURES[format],
      data,
      { key: key.key, padding: constants.RSA_PKCS1_PADDING },
      bytes,
    );
  } else if (CURVES[key.type] !== undefined && format === key.type) {
    const curve = CURVES[key.type] as Curve;
    const inner = new SshReader(bytes, what);
    const r = fixedWidth(inner.mpint(), curve.bytes, inner);
    const s = fixedWidth(inner.mpint(), curve.bytes, inner);
    inner.end();
    const rs = Buffer.concat([r, s]);
    ok = verify(curve.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, rs);
  } else {
    throw new SathosError(
      'SIGNATURE_INVALID',
      `${what}: a ${format} signature cannot come from a ${key.type} key (ssh-rsa SHA-1 signatures are refused)`,
    );
  }
  if (!ok) throw new SathosError('SIGNATURE_INVALID', `${what} does not verify`);
}
