// x509 commit signatures (gitsign: a CMS detached signature with a short-lived Fulcio certificate,
// whose signing time only a Rekor entry or a signed timestamp proves). SATHOS does not verify that
// evidence for commits yet, so it refuses every x509 signature rather than accept one half-checked.
import { SathosError } from '../errors.js';

export const X509_SIGNATURE_ARMOR = '-----BEGIN SIGNED MESSAGE-----';

/** Always throws: an x509 signature cannot be accepted until its Rekor or timestamp evidence is checked. */
export function rejectGitsignSignature(): never {
  throw new SathosError(
    'SIGNATURE_INVALID',
    'x509 (gitsign) signatures need their Fulcio chain and Rekor or timestamp evidence verified, which sathos does not do for commits yet; sign commits with SSH or OpenPGP',
  );
}
