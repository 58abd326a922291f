// OpenSSH certificates (PROTOCOL.certkeys): a key, its principals and validity, signed by a CA key.
// Parsing also checks the CA's signature, so a parsed certificate is one its CA really issued.
import { SathosError } from '../../../errors.js';
import { parseSshKey, readKeyFields, verifySshSignature, type SshKey } from './key.js';
import { SshReader, readStringList } from './wire.js';

const CERT_SUFFIX = '-cert-v01@openssh.com';
/** `valid before` meaning "forever". */
export const SSH_FOREVER = 0xffff_ffff_ffff_ffffn;
export const SSH_USER_CERT = 1;

export interface SshCertificate {
  readonly type: string;
  /** The certified key as a plain key (what signs). */
  readonly key: SshKey;
  readonly serial: bigint;
  /** 1 = user, 2 = host. */
  readonly certType: number;
  readonly keyId: string;
  readonly principals: readonly string[];
  /** Seconds since the epoch; `validBefore` may be SSH_FOREVER. */
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: readonly string[];
  /** The CA's public key blob. */
  readonly signatureKey: Buffer;
}

export function isCertificateType(type: string): boolean {
  return type.endsWith(CERT_SUFFIX);
}

function optionNames(packed: Buffer, what: string): string[] {
  const names = readStringList(packed, what);
  return names.filter((_, i) => i % 2 === 0);
}

function stringBlob(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

/** Parses a certificate blob and verifies its CA signature; throws SIGNATURE_INVALID when either fails. */
export function parseSshCertificate(blob: Buffer, what: string): SshCertificate {
  const reader = new SshReader(blob, what);
  const type = reader.text();
  if (!isCertificateType(type))
    throw reader.invalid(`a ${type} key where a certificate was expected`);
  const baseType = type.slice(0, -CERT_SUFFIX.length);
  reader.string(); // nonce
  const fieldsStart = reader.offset;
  readKeyFields(baseType, reader, what);
  const key = parseSshKey(
    Buffer.concat([stringBlob(baseType), blob.subarray(fieldsStart, reader.offset)]),
    what,
  );
  const serial = reader.u64();
  const certType = reader.u32();
  const keyId = reader.text();
  const principals = readStringList(reader.string(), what);
  const validAfter = reader.u64();
  const validBefore = reader.u64();
  const criticalOptions = optionNames(reader.string(), what);
  optionNames(reader.string(), what); // extensions: permissions for login sessions, not for signing
  reader.string(); // reserved
  const signatureKey = reader.string();
  const signed = blob.subarray(0, reader.offset);
  const signature = reader.string();
  reader.end();
  const ca = parseSshKey(signatureKey, `${what} CA key`);
  if (isCertificateType(ca.type)) throw reader.invalid('a CA key that is itself a certificate');
  try {
    verifySshSignature(ca, signed, signature, `${what} CA signature`);
  } catch (cause) {
    throw new SathosError('SIGNATURE_INVALID', `${what} was not signed by its CA key`, { cause });
  }
  return {
    type,
    key,
    serial,
    certType,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    signatureKey,
  };
}
