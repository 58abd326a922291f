// SSH signatures (OpenSSH PROTOCOL.sshsig), as `git commit -S` with gpg.format=ssh writes them:
// an armored SSHSIG blob naming the public key (or certificate), the namespace and the hash.
import { createHash } from 'node:crypto';
import { SathosError } from '../../../errors.js';
import { isCertificateType, parseSshCertificate, type SshCertificate } from './certificate.js';
import { parseSshKey, verifySshSignature, type SshKey } from './key.js';
import { SshReader } from './wire.js';

export const SSH_SIGNATURE_ARMOR = '-----BEGIN SSH SIGNATURE-----';
const ARMOR = /^-----BEGIN SSH SIGNATURE-----\n([A-Za-z0-9+/=\n]+)-----END SSH SIGNATURE-----\n?$/;
const MAGIC = Buffer.from('SSHSIG');
/** The only namespace a git commit signature may use. */
export const GIT_NAMESPACE = 'git';
const HASHES = ['sha256', 'sha512'] as const;

export interface SshSignature {
  /** The public key blob as the signature names it (a plain key or a certificate). */
  readonly publicKey: Buffer;
  /** The key that signed: the plain key, or the certificate's key. */
  readonly key: SshKey;
  readonly certificate?: SshCertificate;
  readonly namespace: string;
  readonly hashAlgorithm: (typeof HASHES)[number];
  readonly signature: Buffer;
}

function field(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length, 0);
  return Buffer.concat([length, value]);
}

/** Decodes an armored SSH signature; throws SIGNATURE_INVALID for anything that is not one. */
export function parseSshSignature(armored: string): SshSignature {
  const what = 'the SSH signature';
  const match = ARMOR.exec(armored.replace(/\r\n/g, '\n'));
  if (match === null) throw new SathosError('SIGNATURE_INVALID', `${what} armor is malformed`);
  const text = (match[1] ?? '').replace(/\n/g, '');
  const blob = Buffer.from(text, 'base64');
  // Node stops decoding at the first "=" and drops the unused bits of the last character: text
  // after the padding would read as the same signature (another commit id for it), so only the
  // canonical base64 of the blob is read.
  if (blob.toString('base64') !== text) {
    throw new SathosError(
      'SIGNATURE_INVALID',
      `${what} armor is not canonical base64 (text after its padding, or stray bits)`,
    );
  }
  const reader = new SshReader(blob, what);
  if (!reader.bytes(MAGIC.length).equals(MAGIC)) throw reader.invalid('no SSHSIG magic');
  const version = reader.u32();
  if (version !== 1) throw reader.invalid(`version ${version}, not 1`);
  const publicKey = reader.string();
  const namespace = reader.text();
  reader.string(); // reserved
  const hashAlgorithm = reader.text();
  const signature = reader.string();
  reader.end();
  if (!(HASHES as readonly string[]).includes(hashAlgorithm)) {
    throw reader.invalid(`hash algorithm "${hashAlgorithm.slice(0, 20)}", not sha256 or sha512`);
  }
  const type = new SshReader(publicKey, what).text();
  const certificate = isCertificateType(type)
    ? parseSshCertificate(publicKey, 'the SSH certificate')
    : undefined;
  const key = certificate?.key ?? parseSshKey(publicKey, 'the SSH signing key');
  return {
    publicKey,
    key,
    ...(certificate === undefined ? {} : { certificate }),
    namespace,
    hashAlgorithm: hashAlgorithm as SshSignature['hashAlgorithm'],
    signature,
  };
}

/** Checks the signature is over `message` in the `git` namespace; throws SIGNATURE_INVALID otherwise. */
export function verifySshSignatureOver(sig: SshSignature, message: Buffer): void {
  if (sig.namespace !== GIT_NAMESPACE) {
    throw new SathosError(
      'SIGNATURE_INVALID',
      `the SSH signature is for namespace "${sig.namespace.slice(0, 40)}", not "git"; it was not made for a commit`,
    );
  }
  const signed = Buffer.concat([
    MAGIC,
    field(Buffer.from(sig.namespace)),
    field(Buffer.alloc(0)),
    field(Buffer.from(sig.hashAlgorithm)),
    field(createHash(sig.hashAlgorithm).update(message).digest()),
  ]);
  verifySshSignature(sig.key, signed, sig.signature, 'the SSH signature');
}
