// Verifies a gitsign (x509) commit signature completely, failing closed at every step: the CMS is
// about this commit's exact payload (messageDigest), the leaf is a code-signing certificate, and
// sigstore-js checks the rest as it would a bundle — the RFC 3161 timestamp over the signature value
// and/or gitsign's offline Rekor entry, the leaf's chain to a Fulcio CA of the trusted root at every
// verified time (leaf validity included), its SCTs, and the ECDSA signature over the signed
// attributes. Without a verified time the short-lived Fulcio certificate proves nothing.
import { createHash, verify, type KeyObject } from 'node:crypto';
import { PolicyError, VerificationError, Verifier, type SignedEntity } from '@sigstore/verify';
import type { X509Certificate } from '@sigstore/core';
import { fromSigstoreError } from '../../trust/sigstore-errors.js';
import { SathosError, describeCause } from '../../../errors.js';
import { certificateSigner } from '../../signers/certificate-claims.js';
import { parseGitsignSignature, type GitsignCms } from './cms.js';
import { gitsignRekorEntry } from './rekor.js';
import { timestampFromToken } from './timestamp.js';
import type { CertificateSigner } from '../../signers/signer-identity.js';
import type { Trust } from '../../trust/trusted-root.js';

const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** How a signing time was proven. */
export type GitsignTimeSource = 'timestamp authority' | 'transparency log';

/** A gitsign signature that passed every check. */
export interface VerifiedGitsign {
  /** The certificate's SAN and Fulcio issuer. */
  readonly signer: CertificateSigner;
  /** `sha256:<hex>` of the leaf certificate's DER. */
  readonly fingerprint: string;
  /** The verified signing times, each with its source. */
  readonly times: readonly { readonly time: Date; readonly source: GitsignTimeSource }[];
}

function contentBinding(cms: GitsignCms, payload: Buffer): void {
  const digest = createHash(cms.digestAlgorithm).update(payload).digest();
  if (!digest.equals(cms.messageDigest)) {
    throw new SathosError(
      'SIGNATURE_INVALID',
      "the gitsign signature is not over this commit's content (its messageDigest differs): the commit was changed after signing",
    );
  }
}

function codeSigningLeaf(cert: X509Certificate): void {
  let usages: string[];
  try {
    usages = cert.extension(OID_EXT_KEY_USAGE)?.valueObj.subs[0]?.subs.map((s) => s.toOID()) ?? [];
  } catch {
    usages = [];
  }
  if (!usages.includes(OID_CODE_SIGNING)) {
    throw new SathosError(
      'CERTIFICATE_INVALID',
      'the gitsign certificate does not allow code signing (no extended key usage codeSigning); it is not a Fulcio signing certificate',
    );
  }
}

function signatureContent(cms: GitsignCms): SignedEntity['signature'] {
  const attributesDigest = createHash('sha256').update(cms.signedAttributes).digest();
  return {
    signature: cms.signature,
    compareSignature: (signature) => signature.equals(cms.signature),
    compareDigest: (digest) => digest.equals(attributesDigest),
    compareSignedDigest: (digest) => digest.equals(attributesDigest),
    verifySignature: (key: KeyObject) =>
      key.asymmetricKeyType === 'ec' &&
      verify(cms.signatureHash, cms.signedAttributes, key, cms.signature),
  };
}

function noVerifiedTime(): SathosError {
  return new SathosError(
    'TIMESTAMP_INVALID',
    'the gitsign signature carries no verifiable signing time (no RFC 3161 timestamp, no offline Rekor entry), so its 10-minute Fulcio certificate proves nothing; configure gitsign with a timestamp authority (git config gitsign.timestampURL) or offline Rekor mode, and re-sign',
  );
}

function entityOf(cms: GitsignCms): { entity: SignedEntity; times: VerifiedGitsign['times'] } {
  const timestamp =
    cms.timestampToken === undefined ? undefined : timestampFromToken(cms.timestampToken);
  const entry =
    cms.rekorEntry === undefined
      ? undefined
      : gitsignRekorEntry(cms.rekorEntry, cms.signedAttributes, cms.signature, cms.certificateDer);
  if (timestamp === undefined && entry === undefined) throw noVerifiedTime();
  const entity: SignedEntity = {
    signature: signatureContent(cms),
    key: { $case: 'certificate', certificate: cms.certificate },
    timestamps: [
      ...(timestamp === undefined ? [] : [{ $case: 'timestamp-authority' as const, timestamp }]),
      ...(entry === undefined ? [] : [{ $case: 'transparency-log' as const, tlogEntry: entry }]),
    ],
    tlogEntries: entry === undefined ? [] : [entry],
  };
  const times = [
    ...(timestamp === undefined
      ? []
      : [{ time: timestamp.signingTime, source: 'timestamp authority' as const }]),
    ...(entry?.inclusionPromise === undefined
      ? []
      : [
          {
            time: new Date(Number(entry.integratedTime) * 1000),
            source: 'transparency log' as const,
          },
        ]),
  ];
  return { entity, times };
}

function sigstoreVerify(trust: Trust, entity: SignedEntity): void {
  const verifier = new Verifier(trust.material, {
    tlogThreshold: 0,
    ctlogThreshold: trust.thresholds.ctlog,
    timestampThreshold: 1,
  });
  try {
    verifier.verify(entity);
  } catch (error) {
    if (error instanceof VerificationError || error instanceof PolicyError) {
      throw fromSigstoreError(error, 'gitsign signature');
    }
    throw new SathosError(
      'SIGNATURE_INVALID',
      `the gitsign signature could not be verified: ${describeCause(error)}`,
      { cause: error },
    );
  }
}

/**
 * Verifies an armored gitsign signature over `payload` (the commit without its gpgsig header)
 * against `trust`. Throws SathosError (SIGNATURE_INVALID, CERTIFICATE_INVALID, TIMESTAMP_INVALID,
 * TLOG_INVALID) with the reason; does not judge who signed — match `signer` against a policy.
 */
export function verifyGitsignSignature(
  armored: string,
  payload: Buffer,
  trust: Trust,
): VerifiedGitsign {
  const cms = parseGitsignSignature(armored);
  contentBinding(cms, payload);
  codeSigningLeaf(cms.certificate);
  const { entity, times } = entityOf(cms);
  sigstoreVerify(trust, entity);
  return {
    signer: certificateSigner(cms.certificate),
    fingerprint: `sha256:${createHash('sha256').update(cms.certificateDer).digest('hex')}`,
    times,
  };
}
