// Who signed a bundle, as established by verification (never as claimed by the payload).

/**
 * Claims carried by a Fulcio certificate's extensions (OID 1.3.6.1.4.1.57264.1.*).
 * https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md
 */
export interface CertificateClaims {
  readonly issuer?: string;
  readonly buildSignerURI?: string;
  readonly buildSignerDigest?: string;
  readonly runnerEnvironment?: string;
  readonly sourceRepositoryURI?: string;
  readonly sourceRepositoryDigest?: string;
  readonly sourceRepositoryRef?: string;
  readonly sourceRepositoryIdentifier?: string;
  readonly sourceRepositoryOwnerURI?: string;
  readonly sourceRepositoryOwnerIdentifier?: string;
  readonly buildConfigURI?: string;
  readonly buildConfigDigest?: string;
  readonly buildTrigger?: string;
  readonly runInvocationURI?: string;
  readonly sourceRepositoryVisibilityAtSigning?: string;
}

/** A keyless signer: the certificate's subject alternative name and its Fulcio claims. */
export interface CertificateSigner {
  readonly kind: 'certificate';
  /** The SAN: a workflow URI, an email, a SPIFFE id… */
  readonly subject: string;
  readonly issuer: string;
  readonly claims: CertificateClaims;
}

/** A key signer: identified by `sha256:<hex>` of the public key's DER SubjectPublicKeyInfo. */
export interface KeySigner {
  readonly kind: 'key';
  readonly keyId: string;
}

export type SignerIdentity = CertificateSigner | KeySigner;

/** What a verifier demands of a signer: exact strings, or an RE2 pattern the whole subject must match. */
export interface IdentityPolicy {
  readonly subject?: string;
  /** RE2 pattern (../pattern.ts) that must match the whole subject. */
  readonly subjectRegexp?: string;
  readonly issuer?: string;
  readonly keyId?: string;
}

export function describeSigner(signer: SignerIdentity): string {
  return signer.kind === 'key'
    ? `key ${signer.keyId}`
    : `${signer.subject} (issuer ${signer.issuer})`;
}
