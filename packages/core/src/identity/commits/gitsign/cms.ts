// gitsign's commit signature, read: the `-----BEGIN SIGNED MESSAGE-----` armor around a CMS
// ContentInfo (RFC 5652) holding a detached SignedData, one SignerInfo over the commit payload, the
// Fulcio leaf certificate, and in unsigned attributes an RFC 3161 timestamp token and/or gitsign's
// offline Rekor entry. Only the structure is judged here; gitsign-verify.ts judges the cryptography.
// https://github.com/sigstore/gitsign/blob/main/docs/verification.md
import { X509Certificate, type ASN1Obj } from '@sigstore/core';
import { describeCause, isSathosError } from '../../../errors.js';
import {
  algorithmOf,
  attributesOf,
  element,
  malformed,
  noTrailing,
  oidOf,
  onlyValue,
  parseDer,
} from './cms-fields.js';
import {
  CONTEXT_0,
  CONTEXT_0_PRIMITIVE,
  CONTEXT_1,
  encoded,
  INTEGER,
  OBJECT_IDENTIFIER,
  OCTET_STRING,
  SEQUENCE,
  SET,
  tagOf,
  UTC_TIME,
} from './der.js';

export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
export const OID_DATA = '1.2.840.113549.1.7.1';
export const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
/** id-aa-timeStampToken (RFC 3161 appendix A): a TimeStampToken over the SignerInfo's signature. */
export const OID_TIMESTAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';
/** A serialized Rekor TransparencyLogEntry (protobuf) that gitsign embeds in offline mode. */
export const OID_REKOR_ENTRY = '1.3.6.1.4.1.57264.3.1';

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

function decodeArmor(armored: string): Buffer<ArrayBuffer> {
  const match = ARMOR.exec(armored.replace(/\r\n/g, '\n'));
  if (match === null) throw malformed('the SIGNED MESSAGE armor is broken');
  const text = (match[1] ?? '').replace(/\n/g, '');
  const der = Buffer.from(text, 'base64');
  // Node stops decoding at the first "=" and drops the unused bits of the last character, so text
  // after the padding would pass for the same DER (another commit id for one signature): only the
  // canonical base64 of the DER, as gitsign writes it, is read.
  if (der.toString('base64') !== text) {
    throw malformed('the armor is not canonical base64 (text after its padding, or stray bits)');
  }
  return der;
}

/**
 * SignedData (RFC 5652 5.1), positionally: version, digestAlgorithms, encapContentInfo, then
 * [0] certificates and [1] crls when present, and signerInfos last.
 */
interface SignedData {
  readonly certificates: readonly ASN1Obj[];
  readonly signerInfos: readonly ASN1Obj[];
}

function signedDataOf(der: Buffer<ArrayBuffer>): SignedData {
  const info = parseDer(der, 'the CMS ContentInfo');
  if (tagOf(info) !== SEQUENCE || info.subs.length !== 2) {
    throw malformed('the CMS ContentInfo is not a SEQUENCE of a type and its content');
  }
  if (oidOf(info, 'content type') !== OID_SIGNED_DATA) {
    throw malformed('the CMS content is not SignedData');
  }
  const content = element(info, 1, CONTEXT_0, 'the ContentInfo content');
  const signedData = element(content, 0, SEQUENCE, 'the SignedData');
  noTrailing(content, 1, 'the ContentInfo content');
  element(signedData, 0, INTEGER, 'the SignedData version');
  element(signedData, 1, SET, 'the SignedData digestAlgorithms');
  const encap = element(signedData, 2, SEQUENCE, 'the encapContentInfo');
  if (oidOf(encap, 'eContentType') !== OID_DATA) {
    throw malformed('the signed content type is not id-data');
  }
  if (encap.subs.length !== 1)
    throw malformed('the signature is not detached (it encapsulates content)');
  let next = 3;
  const certificates = signedData.subs[next];
  if (certificates !== undefined && tagOf(certificates) === CONTEXT_0) next += 1;
  const crls = signedData.subs[next];
  if (crls !== undefined && tagOf(crls) === CONTEXT_1) next += 1;
  const signerInfos = element(signedData, next, SET, 'the SignedData signerInfos');
  if (signedData.subs.length !== next + 1) throw malformed('the SignedData has trailing fields');
  return {
    // Only Certificate choices (a SEQUENCE) can name the signer; other CertificateChoices cannot.
    certificates: certificates?.subs.filter((c) => tagOf(c) === SEQUENCE) ?? [],
    signerInfos: signerInfos.subs,
  };
}

/** SignerInfo (RFC 5652 5.3), its fields read positionally. */
interface SignerInfo {
  readonly sid: ASN1Obj;
  readonly digestAlgorithm: string;
  readonly signedAttrs?: ASN1Obj;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  readonly unsignedAttrs?: ASN1Obj;
}

function onlySigner(signedData: SignedData): SignerInfo {
  const signers = signedData.signerInfos;
  if (signers.length !== 1) {
    throw malformed(`it has ${signers.length} signers; exactly one is accepted`);
  }
  const info = signers[0] as ASN1Obj;
  if (tagOf(info) !== SEQUENCE) throw malformed('the SignerInfo is not a SEQUENCE');
  element(info, 0, INTEGER, 'the SignerInfo version');
  const sid = info.subs[1];
  if (sid === undefined) throw malformed('the SignerInfo names no signer');
  const digestAlgorithm = algorithmOf(info, 2, 'digestAlgorithm');
  let next = 3;
  const signed = info.subs[next];
  const signedAttrs = signed !== undefined && tagOf(signed) === CONTEXT_0 ? signed : undefined;
  if (signedAttrs !== undefined) next += 1;
  const signatureAlgorithm = algorithmOf(info, next, 'signatureAlgorithm');
  const signature = element(info, next + 1, OCTET_STRING, 'the signature');
  next += 2;
  const unsigned = info.subs[next];
  const unsignedAttrs =
    unsigned !== undefined && tagOf(unsigned) === CONTEXT_1 ? unsigned : undefined;
  if (unsignedAttrs !== undefined) next += 1;
  if (info.subs.length !== next) throw malformed('the SignerInfo has trailing fields');
  return {
    sid,
    digestAlgorithm,
    ...(signedAttrs === undefined ? {} : { signedAttrs }),
    signatureAlgorithm,
    signature: Buffer.from(signature.value),
    ...(unsignedAttrs === undefined ? {} : { unsignedAttrs }),
  };
}

/** The subjectKeyIdentifier choice of a SignerIdentifier: [0] IMPLICIT (or wrapped) OCTET STRING. */
function sidKeyId(sid: ASN1Obj): Buffer | undefined {
  if (tagOf(sid) === CONTEXT_0_PRIMITIVE) return sid.value;
  const inner = tagOf(sid) === CONTEXT_0 && sid.subs.length === 1 ? sid.subs[0] : undefined;
  return inner !== undefined && tagOf(inner) === OCTET_STRING ? inner.value : undefined;
}

/** Whether the certificate is the one the SignerIdentifier names, by issuer and serial or key id. */
function namesSigner(cert: X509Certificate, sid: ASN1Obj): boolean {
  if (tagOf(sid) === SEQUENCE) {
    const issuer = element(sid, 0, SEQUENCE, 'the signer issuer');
    const serial = element(sid, 1, INTEGER, 'the signer serial number');
    noTrailing(sid, 2, 'the signer identifier');
    return cert.issuer.equals(issuer.value) && cert.serialNumber.equals(serial.value);
  }
  const id = sidKeyId(sid);
  const ski = cert.extSubjectKeyID?.keyIdentifier;
  return id !== undefined && ski !== undefined && id.equals(ski);
}

function signerCertificate(
  signedData: SignedData,
  signer: SignerInfo,
): { certificate: X509Certificate; der: Buffer } {
  const matching = signedData.certificates
    .map((value) => {
      const der = encoded(value);
      return { certificate: X509Certificate.parse(der), der };
    })
    .filter(({ certificate }) => namesSigner(certificate, signer.sid));
  if (matching.length !== 1) {
    throw malformed(
      matching.length === 0
        ? 'no certificate in it matches the signer'
        : 'more than one certificate matches the signer',
    );
  }
  return matching[0] as { certificate: X509Certificate; der: Buffer };
}

function hashOf(table: Readonly<Record<string, HashName>>, oid: string, what: string): HashName {
  const hash = Object.hasOwn(table, oid) ? table[oid] : undefined;
  if (hash === undefined) throw malformed(`${what} ${oid.slice(0, 40)} is not supported`);
  return hash;
}

function signedAttributesOf(signer: SignerInfo): {
  readonly der: Buffer;
  readonly messageDigest: Buffer;
  readonly claimedSigningTime?: Date;
} {
  const signed = signer.signedAttrs;
  if (signed === undefined) throw malformed('it has no signed attributes');
  const attrs = attributesOf(signed, 'a signed');
  const contentType = onlyValue(attrs, OID_CONTENT_TYPE, 'contentType');
  if (
    contentType === undefined ||
    tagOf(contentType) !== OBJECT_IDENTIFIER ||
    contentType.toOID() !== OID_DATA
  ) {
    throw malformed('the contentType attribute is missing or not id-data');
  }
  const digest = onlyValue(attrs, OID_MESSAGE_DIGEST, 'messageDigest');
  if (digest === undefined || tagOf(digest) !== OCTET_STRING) {
    throw malformed('the messageDigest attribute is missing or not an OCTET STRING');
  }
  const time = onlyValue(attrs, OID_SIGNING_TIME, 'signingTime');
  const claimed = time !== undefined && tagOf(time) === UTC_TIME ? time.toDate() : undefined;
  return {
    // The signature is over the attributes as a DER SET OF, not under their [0] IMPLICIT tag.
    der: encoded(signed, SET),
    messageDigest: Buffer.from(digest.value),
    ...(claimed === undefined ? {} : { claimedSigningTime: claimed }),
  };
}

function unsignedAttributesOf(signer: SignerInfo): {
  readonly timestampToken?: Buffer;
  readonly rekorEntry?: Buffer;
} {
  const attrs = attributesOf(signer.unsignedAttrs, 'an unsigned');
  const token = onlyValue(attrs, OID_TIMESTAMP_TOKEN, 'timeStampToken');
  const rekor = onlyValue(attrs, OID_REKOR_ENTRY, 'Rekor entry');
  if (token !== undefined && tagOf(token) !== SEQUENCE) {
    throw malformed('the timeStampToken attribute is not a ContentInfo');
  }
  if (rekor !== undefined && tagOf(rekor) !== OCTET_STRING) {
    throw malformed('the Rekor entry attribute is not an OCTET STRING');
  }
  return {
    ...(token === undefined ? {} : { timestampToken: encoded(token) }),
    ...(rekor === undefined ? {} : { rekorEntry: Buffer.from(rekor.value) }),
  };
}

function readCms(der: Buffer<ArrayBuffer>): GitsignCms {
  const signedData = signedDataOf(der);
  const signer = onlySigner(signedData);
  const digestAlgorithm = hashOf(DIGESTS, signer.digestAlgorithm, 'digest algorithm');
  const sigOid = signer.signatureAlgorithm;
  const signatureHash =
    sigOid === OID_EC_PUBLIC_KEY
      ? digestAlgorithm
      : hashOf(ECDSA_SIGNATURES, sigOid, 'signature algorithm (gitsign signs with ECDSA)');
  const signed = signedAttributesOf(signer);
  const { certificate, der: certificateDer } = signerCertificate(signedData, signer);
  return {
    certificate,
    certificateDer,
    digestAlgorithm,
    messageDigest: signed.messageDigest,
    signedAttributes: signed.der,
    signatureHash,
    signature: signer.signature,
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
