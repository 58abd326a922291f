// A verified bundle as `gh attestation verify --format json` reports it (sigstore-go's verification
// result): the statement, the signing certificate's summary (issuer, SAN and the Fulcio claims by
// their sigstore-go names) and the verified timestamps — so scripts written against gh read ours.
import { X509Certificate as NodeCertificate } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { CertificateClaims } from '../../identity/signers/signer-identity.js';
import type { Statement } from '../record/statement.js';
import type { VerifiedBundle } from './verified-bundle.js';

/** sigstore-go's media type for a verification result. */
export const VERIFICATION_RESULT_MEDIA_TYPE =
  'application/vnd.dev.sigstore.verificationresult+json;version=0.1';

export interface CertificateSummary extends CertificateClaims {
  /** The issuing CA's distinguished name, most specific first: `CN=…,O=…`. */
  readonly certificateIssuer: string;
  readonly subjectAlternativeName: string;
}

export interface GhVerificationResult {
  readonly verificationResult: {
    readonly mediaType: string;
    readonly statement?: Statement;
    readonly signature: {
      readonly certificate?: CertificateSummary;
      readonly publicKeyId?: string;
    };
    readonly verifiedTimestamps: readonly {
      readonly type: string;
      readonly uri: string;
      readonly timestamp: string;
    }[];
  };
}

function leafDer(bundle: Bundle): Buffer | undefined {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'certificate') return Buffer.from(material.certificate.rawBytes);
  if (material.$case === 'x509CertificateChain') {
    const raw = material.x509CertificateChain.certificates[0]?.rawBytes;
    return raw === undefined ? undefined : Buffer.from(raw);
  }
  return undefined;
}

/** Node prints a DN one attribute a line, least specific first; gh prints `CN=…,O=…`. */
function issuerName(der: Buffer | undefined): string {
  if (der === undefined) return '';
  try {
    return new NodeCertificate(der).issuer.split('\n').reverse().join(',');
  } catch {
    return '';
  }
}

function signatureOf(v: VerifiedBundle): GhVerificationResult['verificationResult']['signature'] {
  if (v.signer.kind === 'key') return { publicKeyId: v.signer.keyId };
  return {
    certificate: {
      certificateIssuer: issuerName(leafDer(v.bundle)),
      subjectAlternativeName: v.signer.subject,
      ...v.signer.claims,
    },
  };
}

/** The gh-shaped result of one bundle that passed every check. */
export function ghVerificationResult(v: VerifiedBundle): GhVerificationResult {
  return {
    verificationResult: {
      mediaType: VERIFICATION_RESULT_MEDIA_TYPE,
      ...(v.statement !== undefined && { statement: v.statement }),
      signature: signatureOf(v),
      verifiedTimestamps: v.verifiedTimestamps.map((t) => ({
        type: t.type,
        uri: t.uri,
        timestamp: t.timestamp.toISOString(),
      })),
    },
  };
}
