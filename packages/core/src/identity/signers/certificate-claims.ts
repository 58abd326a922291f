// Reads who a Fulcio certificate names: the subject alternative name and the OIDC claims Fulcio
// copied into extensions. Only called on a certificate sigstore-js has already verified.
// OIDs: https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md
import type { X509Certificate } from '@sigstore/core';
import type { CertificateClaims, CertificateSigner } from './signer-identity.js';

const FULCIO_OID = '1.3.6.1.4.1.57264.1';
const ISSUER_V1_OID = `${FULCIO_OID}.1`;
const USERNAME_OTHER_NAME_OID = `${FULCIO_OID}.7`;

/** Extensions 1.8 onward hold a DER-encoded UTF8String; the claim each one carries. */
const DER_CLAIM_OIDS: Readonly<Record<string, keyof CertificateClaims>> = {
  [`${FULCIO_OID}.8`]: 'issuer',
  [`${FULCIO_OID}.9`]: 'buildSignerURI',
  [`${FULCIO_OID}.10`]: 'buildSignerDigest',
  [`${FULCIO_OID}.11`]: 'runnerEnvironment',
  [`${FULCIO_OID}.12`]: 'sourceRepositoryURI',
  [`${FULCIO_OID}.13`]: 'sourceRepositoryDigest',
  [`${FULCIO_OID}.14`]: 'sourceRepositoryRef',
  [`${FULCIO_OID}.15`]: 'sourceRepositoryIdentifier',
  [`${FULCIO_OID}.16`]: 'sourceRepositoryOwnerURI',
  [`${FULCIO_OID}.17`]: 'sourceRepositoryOwnerIdentifier',
  [`${FULCIO_OID}.18`]: 'buildConfigURI',
  [`${FULCIO_OID}.19`]: 'buildConfigDigest',
  [`${FULCIO_OID}.20`]: 'buildTrigger',
  [`${FULCIO_OID}.21`]: 'runInvocationURI',
  [`${FULCIO_OID}.22`]: 'sourceRepositoryVisibilityAtSigning',
};

function derString(cert: X509Certificate, oid: string): string | undefined {
  try {
    return cert.extension(oid)?.valueObj.subs[0]?.value.toString('utf8');
  } catch {
    return undefined;
  }
}

/** Every Fulcio claim present in the certificate (issuer from v2, else the deprecated v1). */
export function certificateClaims(cert: X509Certificate): CertificateClaims {
  const claims: Record<string, string> = {};
  for (const [oid, name] of Object.entries(DER_CLAIM_OIDS)) {
    const value = derString(cert, oid);
    if (value !== undefined) claims[name] = value;
  }
  if (claims.issuer === undefined) {
    const v1 = cert.extension(ISSUER_V1_OID)?.value.toString('ascii');
    if (v1 !== undefined) claims.issuer = v1;
  }
  return claims;
}

/** The certificate's identity: URI or email SAN, else Fulcio's username other-name. */
export function subjectAlternativeName(cert: X509Certificate): string | undefined {
  try {
    const san = cert.extSubjectAltName;
    return san?.uri ?? san?.rfc822Name ?? san?.otherName(USERNAME_OTHER_NAME_OID);
  } catch {
    return undefined;
  }
}

/** The signer a verified certificate names; an absent SAN or issuer is the empty string. */
export function certificateSigner(cert: X509Certificate): CertificateSigner {
  const claims = certificateClaims(cert);
  return {
    kind: 'certificate',
    subject: subjectAlternativeName(cert) ?? '',
    issuer: claims.issuer ?? '',
    claims,
  };
}
