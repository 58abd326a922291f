// x509 commit signatures (gitsign: a CMS detached signature with a short-lived Fulcio certificate)
// judged against a policy: verified completely by gitsign-verify.ts against the trusted root, then
// the certificate's identity (SAN + Fulcio issuer) must match a `gitsign` rule of every signer set
// the commit must satisfy, and an email SAN must be the committer's email.
import { SathosError } from '../../../errors.js';
import type { SignerSet } from '../signers.js';
import type { GitCommit } from '../git/commit-object.js';
import { verifyGitsignSignature } from './verify.js';
import { describeRule, signerMatchesRule } from '../../signers/identity-rule.js';
import type { Trust } from '../../trust/trusted-root.js';

export { X509_SIGNATURE_ARMOR } from './armor.js';

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

/** An email SAN (`alice@example.com`), as opposed to a URI (a CI workflow, a SPIFFE id). */
const EMAIL_SAN = /^[^\s@:/]+@[^\s@:/]+$/;

/**
 * Ties the signer to the commit as SSH and OpenPGP do: an email SAN must be the committer's email
 * (compared case-insensitively, as GitHub compares emails). A URI SAN names a workflow or service,
 * not a person: the allowed rule (SAN and issuer) is the whole identity and the committer is not compared.
 */
function assertCommitter(commit: GitCommit, subject: string, who: string): void {
  if (!EMAIL_SAN.test(subject)) return;
  if (subject.toLowerCase() !== commit.committer.email.toLowerCase()) {
    throw new SathosError(
      'UNTRUSTED_SIGNER',
      `the ${who} is not the committer ${commit.committer.email}`,
    );
  }
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
  assertCommitter(commit, signer.subject, who);
  return { signer: signer.subject, key: verified.fingerprint };
}
