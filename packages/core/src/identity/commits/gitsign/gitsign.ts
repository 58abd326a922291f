// x509 commit signatures (gitsign: a CMS detached signature with a short-lived Fulcio certificate)
// judged against a policy: verified completely by gitsign-verify.ts against the trusted root, then
// the certificate's identity (SAN + Fulcio issuer) must match a `gitsign` rule of every signer set
// the commit must satisfy.
import { SathosError } from '../../../errors.js';
import type { SignerSet } from '../signers.js';
import type { GitCommit } from '../git/commit-object.js';
import { verifyGitsignSignature } from './verify.js';
import { describeRule, signerMatchesRule } from '../../signers/identity-rule.js';
import type { Trust } from '../../trust/trusted-root.js';

export const X509_SIGNATURE_ARMOR = '-----BEGIN SIGNED MESSAGE-----';

export interface GitsignCheck {
  /** The certificate's subject alternative name. */
  readonly signer: string;
  /** `sha256:<hex>` of the signing certificate. */
  readonly key: string;
}

function notAllowed(set: SignerSet, who: string): SathosError {
  const allowed =
    set.gitsign.length === 0
      ? 'it allows no gitsign identity'
      : `it allows ${set.gitsign.map(describeRule).join(', ')}`;
  return new SathosError('UNTRUSTED_SIGNER', `not allowed by ${set.name}: ${who}; ${allowed}`);
}

/** Verifies the commit's gitsign signature against `trust` and every set's gitsign identities. */
export function checkGitsignSignature(
  commit: GitCommit,
  signature: string,
  sets: readonly SignerSet[],
  trust: Trust,
): GitsignCheck {
  const verified = verifyGitsignSignature(signature, commit.payload, trust);
  const { signer } = verified;
  const who = `gitsign identity ${signer.subject || '(no SAN)'} (issuer ${signer.issuer || '(none)'})`;
  for (const set of sets) {
    if (!set.gitsign.some((rule) => signerMatchesRule(signer, rule))) throw notAllowed(set, who);
  }
  if (signer.subject === '' || signer.issuer === '') {
    throw new SathosError('UNTRUSTED_SIGNER', `${who} names no subject or issuer`);
  }
  return { signer: signer.subject, key: verified.fingerprint };
}
