// Which embedded trusted root a bundle is verified against when the caller named none, chosen as
// `gh attestation verify` does: by who issued the signing certificate. GitHub's own Sigstore
// instance (fulcio.githubapp.com, used for private repositories) has its own CA and TSA and no
// transparency log; everything else is checked against Sigstore's public-good root. The choice
// selects trust material only: a certificate that chains to neither root still fails verification.
import type { Bundle } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import { githubTrust, publicGoodTrust, type Trust } from '../../identity/trust/trusted-root.js';
import { bundleFromDocument } from './bundle-input.js';
import { leafCertificate } from './leaf-certificate.js';

export type EmbeddedInstance = 'public-good' | 'github';

/** True when a CA of `trust` has the subject that issued `leaf` (a name match, not yet a proof). */
function issuedUnder(trust: Trust, leaf: X509Certificate): boolean {
  return trust.material.certificateAuthorities.some((ca) =>
    ca.certChain.some((c) => c.subject.equals(leaf.issuer)),
  );
}

/**
 * The instance whose root holds the issuer of the bundle's certificate: `github` for certificates
 * GitHub's Fulcio issued, else `public-good` (also for key-signed and unreadable bundles, which the
 * verifier then judges against public-good and rejects if they are malformed).
 */
export function bundleInstance(document: unknown): EmbeddedInstance {
  let bundle: Bundle;
  try {
    bundle = bundleFromDocument(document, undefined);
  } catch {
    return 'public-good';
  }
  const leaf = leafCertificate(bundle);
  if (leaf === undefined) return 'public-good';
  return !issuedUnder(publicGoodTrust(), leaf) && issuedUnder(githubTrust(), leaf)
    ? 'github'
    : 'public-good';
}

/** The embedded root of an instance. */
export function embeddedTrust(instance: EmbeddedInstance): Trust {
  return instance === 'github' ? githubTrust() : publicGoodTrust();
}
