// The signing (leaf) certificate of a bundle, read once for everyone who needs it: the trust choice
// looks at its issuer, the streamed artifact check at its public key.
import type { Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';

/** The bundle's leaf certificate; undefined for key-signed bundles and unparsable certificates. */
export function leafCertificate(bundle: Bundle): X509Certificate | undefined {
  const material = bundle.verificationMaterial.content;
  const raw =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (raw === undefined) return undefined;
  try {
    return X509Certificate.parse(Buffer.from(raw));
  } catch {
    return undefined;
  }
}
