// gitsign's commit signature, read: the `-----BEGIN SIGNED MESSAGE-----` armor around a CMS
// ContentInfo (RFC 5652) holding a detached SignedData, one SignerInfo over the commit payload, the
// Fulcio leaf certificate, and in unsigned attributes an RFC 3161 timestamp token and/or gitsign's
// offline Rekor entry. Only the structure is judged here; gitsign-verify.ts judges the cryptography.
// https://github.com/sigstore/gitsign/blob/main/docs/verification.md
import { X509Certificate } from '@sigstore/core';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SathosError, describeCause, isSathosError } from '../../../errors.js';

export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
export const OID_DATA = '1.2.840.113549.1.7.1';
export const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
/** id-aa-timeStampToken (RFC 3161 appendix A): a TimeStampToken over the SignerInfo's signature. */
export const OID_TIMESTAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';
/** A serialized Rekor TransparencyLogEntry (protobuf) that gitsign embeds in offline mode. */
export const OID_REKOR_ENTRY = '1.3.6.1.4.1.57264.3.1';
const OID_SUBJECT_KEY_ID = '2.5.29.14';

export type HashName = 'sha256' | 'sha384' | 'sha512';

const DIGESTS: Readonly<Record<string, HashName>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const ECDSA_SIGNATURES: Readonly<Record<string, HashName>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
/** Some CMS writers name the key algorithm instead; the hash is then the digest algorithm. */
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

const ARMOR =
  /^-----BEGIN SIGNED MESSAGE-----\n([A-Za-z0-9+/=\n]+)-----END SIGNED MESSAGE-----\n?$/;

/** The parts of a gitsign signature that verification needs, taken from a well-formed CMS. */
export interface GitsignCms {
  /** The certificate the SignerInfo names (the Fulcio leaf). */
  readonly certificate: X509Certificate;
  /** Its DER encoding. */
  readonly certificateDer: Buffer;
  /** The hash of the commit payload that the messageDigest attribute holds. */
  readonly digestAlgorithm: HashName;
  readonly messageDigest: Buffer;
  /** The signed attributes as a DER SET: exactly the bytes the signature is over. */
  readonly signedAttributes: Buffer;
  /** The hash the ECDSA signature uses over `signedAttributes`. */
  readonly signatureHash: HashName;
  readonly signature: Buffer;
  /** The signingTime attribute: the signer's own clock, never trusted as proof. */
  readonly claimedSigningTime?: Date;
  /** The DER TimeStampToken (a ContentInfo) of the id-aa-timeStampToken attribute. */
  readonly timestampToken?: Buffer;
  /** The protobuf bytes of gitsign's offline Rekor entry. */
  readonly rekorEntry?: Buffer;
}

function malformed(what: string, cause?: unknown): SathosError {
  return new SathosError(
    'SIGNATURE_INVALID',
    `malformed gitsign signature: ${what}; re-sign the commit with gitsign`,
    cause === undefined ? {} : { cause },
  );
}

const bytes = (view: ArrayBuffer | Uint8Array): Buffer =>
  view instanceof Uint8Array
    ? Buffer.from(view.buffer, view.byteOffset, view.byteLength)
    : Buffer.from(view);

function decodeArmor(armored: string): Buffer {
  const match = ARMOR.exec(armored.replace(/\r\n/g, '\n'));
  if (match === null) throw malformed('the SIGNED MESSAGE armor is broken');
  return Buffer.from((match[1] ?? '').replace(/\n/g, ''), 'base64');
}

/** Parses DER that must be exactly one ASN.1 value (no trailing bytes). */
function parseDer(der: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || parsed.offset !== der.byteLength) {
    throw malformed(`${what} is not one DER value`);
  }
  return parsed.result;
}

function signedDataOf(der: Buffer): pkijs.SignedData {
  const info = new pkijs.ContentInfo({ schema: parseDer(der, 'the CMS ContentInfo') });
  if (info.contentType !== OID_SIGNED_DATA) throw malformed('the CMS content is not SignedData');
  const signedData = new pkijs.SignedData({ schema: info.content as asn1js.AsnType });
  const encap = signedData.encapContentInfo;
  if (encap.eContentType !== OID_DATA) throw malformed('the signed content type is not id-data');
  if (encap.eContent !== undefined) {
    throw malformed('the signature is not detached (it encapsulates content)');
  }
  return signedData;
}

function onlySigner(signedData: pkijs.SignedData): pkijs.SignerInfo {
  const signers = signedData.signerInfos;
  if (signers.length !== 1) {
    throw malformed(`it has ${signers.length} signers; exactly one is accepted`);
  }
  return signers[0] as pkijs.SignerInfo;
}

function subjectKeyId(cert: pkijs.Certificate): Buffer | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === OID_SUBJECT_KEY_ID);
  const value = ext?.parsedValue as unknown;
  return value instanceof asn1js.OctetString ? bytes(value.valueBlock.valueHexView) : undefined;
}

/** The subjectKeyIdentifier choice of a SignerIdentifier: [0] IMPLICIT (or wrapped) OCTET STRING. */
function sidKeyId(sid: unknown): Buffer | undefined {
  if (sid instanceof asn1js.Constructed) {
    const inner = sid.valueBlock.value[0];
    return inner instanceof asn1js.OctetString ? bytes(inner.valueBlock.valueHexView) : undefined;
  }
  return sid instanceof asn1js.Primitive ? bytes(sid.valueBlock.valueHexView) : undefined;
}

function namesSigner(cert: pkijs.Certificate, sid: unknown): boolean {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return cert.issuer.isEqual(sid.issuer) && cert.serialNumber.isEqual(sid.serialNumber);
  }
  const id = sidKeyId(sid);
  const ski = subjectKeyId(cert);
  return id !== undefined && ski !== undefined && id.equals(ski);
}

function signerCertificate(
  signedData: pkijs.SignedData,
  signer: pkijs.SignerInfo,
): Buffer<ArrayBuffer> {
  const certs = (signedData.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
  );
  const matching = certs.filter((c) => namesSigner(c, signer.sid));
  if (matching.length !== 1) {
    throw malformed(
      matching.length === 0
        ? 'no certificate in it matches the signer'
        : 'more than one certificate matches the signer',
    );
  }
  return Buffer.from((matching[0] as pkijs.Certificate).toSchema().toBER(false));
}

/** The single value of the attribute of this type; absent when the attribute is absent. */
function onlyValue(attrs: readonly pkijs.Attribute[], type: string, what: string): unknown {
  const found = attrs.filter((a) => a.type === type);
  if (found.length === 0) return undefined;
  const values = (found[0] as pkijs.Attribute).values;
  if (found.length > 1 || values.length !== 1) {
    throw malformed(`the ${what} attribute must appear once with one value`);
  }
  return values[0];
}

function hashOf(table: Readonly<Record<string, HashName>>, oid: string, what: string): HashName {
  const hash = Object.hasOwn(table, oid) ? table[oid] : undefined;
  if (hash === undefined) throw malformed(`${what} ${oid.slice(0, 40)} is not supported`);
  return hash;
}

function signedAttributesOf(signer: pkijs.SignerInfo): {
  readonly der: Buffer;
  readonly messageDigest: Buffer;
  readonly claimedSigningTime?: Date;
} {
  const signed = signer.signedAttrs;
  if (signed === undefined) throw malformed('it has no signed attributes');
  const attrs = signed.attributes;
  const contentType = onlyValue(attrs, OID_CONTENT_TYPE, 'contentType');
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.getValue() !== OID_DATA) {
    throw malformed('the contentType attribute is missing or not id-data');
  }
  const digest = onlyValue(attrs, OID_MESSAGE_DIGEST, 'messageDigest');
  if (!(digest instanceof asn1js.OctetString)) {
    throw malformed('the messageDigest attribute is missing or not an OCTET STRING');
  }
  const time = onlyValue(attrs, OID_SIGNING_TIME, 'signingTime');
  const claimed = time instanceof asn1js.UTCTime ? time.toDate() : undefined;
  return {
    der: Buffer.from(signed.encodedValue),
    messageDigest: bytes(digest.valueBlock.valueHexView),
    ...(claimed === undefined ? {} : { claimedSigningTime: claimed }),
  };
}

function unsignedAttributesOf(signer: pkijs.SignerInfo): {
  readonly timestampToken?: Buffer;
  readonly rekorEntry?: Buffer;
} {
  const attrs = signer.unsignedAttrs?.attributes ?? [];
  const token = onlyValue(attrs, OID_TIMESTAMP_TOKEN, 'timeStampToken');
  const rekor = onlyValue(attrs, OID_REKOR_ENTRY, 'Rekor entry');
  if (token !== undefined && !(token instanceof asn1js.Sequence)) {
    throw malformed('the timeStampToken attribute is not a ContentInfo');
  }
  if (rekor !== undefined && !(rekor instanceof asn1js.OctetString)) {
    throw malformed('the Rekor entry attribute is not an OCTET STRING');
  }
  return {
    ...(token === undefined ? {} : { timestampToken: bytes(token.valueBeforeDecodeView) }),
    ...(rekor === undefined ? {} : { rekorEntry: bytes(rekor.valueBlock.valueHexView) }),
  };
}

function readCms(der: Buffer): GitsignCms {
  const signedData = signedDataOf(der);
  const signer = onlySigner(signedData);
  const digestAlgorithm = hashOf(DIGESTS, signer.digestAlgorithm.algorithmId, 'digest algorithm');
  const sigOid = signer.signatureAlgorithm.algorithmId;
  const signatureHash =
    sigOid === OID_EC_PUBLIC_KEY
      ? digestAlgorithm
      : hashOf(ECDSA_SIGNATURES, sigOid, 'signature algorithm (gitsign signs with ECDSA)');
  const signed = signedAttributesOf(signer);
  const certificateDer = signerCertificate(signedData, signer);
  return {
    certificate: X509Certificate.parse(certificateDer),
    certificateDer,
    digestAlgorithm,
    messageDigest: signed.messageDigest,
    signedAttributes: signed.der,
    signatureHash,
    signature: bytes(signer.signature.valueBlock.valueHexView),
    ...(signed.claimedSigningTime === undefined
      ? {}
      : { claimedSigningTime: signed.claimedSigningTime }),
    ...unsignedAttributesOf(signer),
  };
}

/** Reads an armored gitsign signature; throws SIGNATURE_INVALID naming what is malformed. */
export function parseGitsignSignature(armored: string): GitsignCms {
  const der = decodeArmor(armored);
  try {
    return readCms(der);
  } catch (error) {
    if (isSathosError(error)) throw error;
    throw malformed(`the CMS cannot be read (${describeCause(error)})`, error);
  }
}
