// Who a freshly signed keyless bundle's certificate names: read, not verified — a signer checks its
// own new signature certifies the identity its record claims before anything is appended.
import { X509Certificate } from '@sigstore/core';
import {
  certificateClaims,
  subjectAlternativeName,
} from '../../identity/signers/certificate-claims.js';

export interface CertifiedIdentity {
  readonly issuer?: string;
  readonly subject?: string;
}

/** The leaf certificate's OIDC issuer and SAN; empty when the bundle carries no certificate. */
export function certifiedIdentity(bundle: unknown): CertifiedIdentity {
  const raw = (bundle as { verificationMaterial?: { certificate?: { rawBytes?: unknown } } } | null)
    ?.verificationMaterial?.certificate?.rawBytes;
  if (typeof raw !== 'string') return {};
  const cert = X509Certificate.parse(Buffer.from(raw, 'base64'));
  const issuer = certificateClaims(cert).issuer;
  const subject = subjectAlternativeName(cert);
  return {
    ...(issuer === undefined ? {} : { issuer }),
    ...(subject === undefined ? {} : { subject }),
  };
}
