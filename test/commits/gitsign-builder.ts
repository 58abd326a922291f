// Builds gitsign-style x509 commit signatures for tests, the way gitsign does: an ephemeral P-256
// key, a Fulcio certificate for it from the loopback stand-in (an OIDC token from the stand-in's
// issuer), a detached CMS SignedData over the commit payload (contentType, signingTime and
// messageDigest signed attributes), and an RFC 3161 timestamp token over the signature value in the
// id-aa-timeStampToken unsigned attribute. Variants build the attacks the verifier must refuse.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { SigstoreStandIn, TokenClaims } from '@sathos/testkit';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  timeStampToken: '1.2.840.113549.1.9.16.2.14',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
} as const;

/** The OIDC identity the stand-in certifies: SAN = email, issuer = iss. */
export const ALICE: TokenClaims = {
  sub: 'alice',
  iss: 'https://accounts.example.com',
  email: 'alice@example.com',
  email_verified: true,
};
export const ALICE_RULE = { issuer: 'https://accounts.example.com', subject: 'alice@example.com' };

export interface GitsignSigner {
  readonly privateKey: KeyObject;
  /** The Fulcio leaf, DER. */
  readonly certificate: Buffer;
}

export interface GitsignOptions {
  /** Where the RFC 3161 token comes from: the stand-in TSA (default), none, or a token over other bytes. */
  readonly timestamp?: 'tsa' | 'none' | 'other-signature';
  /** A second, otherwise valid signer in the same SignedData. */
  readonly secondSigner?: GitsignSigner;
  /** Stamps with this TSA function instead of the stand-in's (e.g. one with a shifted clock). */
  readonly stamp?: (digest: Buffer) => Promise<Buffer>;
}

async function post(url: string, body: unknown): Promise<Buffer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`${url}: ${response.status} ${bytes.toString('utf8')}`);
  return bytes;
}

/** A fresh P-256 key and its Fulcio certificate for `claims`, as gitsign gets one. */
export async function gitsignSigner(
  standIn: SigstoreStandIn,
  claims: TokenClaims = ALICE,
): Promise<GitsignSigner> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const response = await post(`${standIn.fulcioURL}/api/v2/signingCert`, {
    credentials: { oidcIdentityToken: standIn.issueToken(claims) },
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: pem },
      proofOfPossession: sign('sha256', Buffer.from(claims.sub), privateKey).toString('base64'),
    },
  });
  const json = JSON.parse(response.toString('utf8')) as {
    signedCertificateEmbeddedSct: { chain: { certificates: string[] } };
  };
  const leaf = json.signedCertificateEmbeddedSct.chain.certificates[0] ?? '';
  const certificate = Buffer.from(leaf.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  return { privateKey, certificate };
}

/** The stand-in TSA's TimeStampToken (DER ContentInfo) over a SHA-256 digest. */
export function standInStamp(standIn: SigstoreStandIn): (digest: Buffer) => Promise<Buffer> {
  return async (digest) => {
    const response = await post(`${standIn.tsaURL}/api/v1/timestamp`, {
      artifactHash: digest.toString('base64'),
      hashAlgorithm: 'sha256',
      certificates: true,
    });
    return tokenOfResponse(response);
  };
}

/** The TimeStampToken of a DER TimeStampResp. */
export function tokenOfResponse(response: Buffer): Buffer {
  const resp = pkijs.TimeStampResp.fromBER(response);
  if (resp.timeStampToken === undefined) throw new Error('the TSA granted no token');
  return Buffer.from(resp.timeStampToken.toSchema().toBER(false));
}

function signerInfo(
  signer: GitsignSigner,
  cert: pkijs.Certificate,
  payload: Buffer,
): pkijs.SignerInfo {
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({
        type: OID.contentType,
        values: [new asn1js.ObjectIdentifier({ value: OID.data })],
      }),
      new pkijs.Attribute({
        type: OID.signingTime,
        values: [new asn1js.UTCTime({ valueDate: new Date() })],
      }),
      new pkijs.Attribute({
        type: OID.messageDigest,
        values: [
          new asn1js.OctetString({ valueHex: createHash('sha256').update(payload).digest() }),
        ],
      }),
    ],
  });
  const toSign = Buffer.from(signedAttrs.toSchema().toBER(false));
  toSign[0] = 0x31; // signed as a SET OF, stored as [0] IMPLICIT
  return new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaSha256 }),
    signature: new asn1js.OctetString({ valueHex: sign('sha256', toSign, signer.privateKey) }),
  });
}

async function addTimestamp(
  info: pkijs.SignerInfo,
  stamp: (digest: Buffer) => Promise<Buffer>,
  over: Buffer,
): Promise<void> {
  const token = await stamp(createHash('sha256').update(over).digest());
  info.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 1,
    attributes: [
      new pkijs.Attribute({ type: OID.timeStampToken, values: [asn1js.fromBER(token).result] }),
    ],
  });
}

/** Armors DER as git stores an x509 signature. */
export function armor(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN SIGNED MESSAGE-----\n${lines.join('\n')}\n-----END SIGNED MESSAGE-----\n`;
}

/** A gitsign-style armored signature over `payload` (the commit object without gpgsig). */
export async function gitsignSignature(
  standIn: SigstoreStandIn,
  signer: GitsignSigner,
  payload: Buffer,
  options: GitsignOptions = {},
): Promise<string> {
  const signers = [signer, ...(options.secondSigner === undefined ? [] : [options.secondSigner])];
  const certs = signers.map((s) => pkijs.Certificate.fromBER(s.certificate));
  const infos = signers.map((s, i) => signerInfo(s, certs[i] as pkijs.Certificate, payload));
  const stamp = options.stamp ?? standInStamp(standIn);
  const mode = options.timestamp ?? 'tsa';
  for (const info of mode === 'none' ? [] : infos) {
    const signature = Buffer.from(info.signature.valueBlock.valueHexView);
    const over = mode === 'tsa' ? signature : Buffer.from('some other signature');
    await addTimestamp(info, stamp, over);
  }
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: certs,
    signerInfos: infos,
  });
  const info = new pkijs.ContentInfo({
    contentType: OID.signedData,
    content: signedData.toSchema(true),
  });
  return armor(Buffer.from(info.toSchema().toBER(false)));
}
