// Who may sign commits, as a policy states it: the contract between the policy loader and commit verification.
import type { IdentityRule } from '../signers/identity-rule.js';

/** Who may sign commits, as a policy states it. Every field optional; absent = nobody of that kind. */
export interface CommitSignerSet {
  /** OpenSSH allowed_signers text (ssh-keygen(1) ALLOWED SIGNERS): principals, namespaces=, valid-after=, valid-before=, cert-authority. */
  readonly allowedSigners?: string;
  /** ASCII-armored OpenPGP public keys (one or more blocks). */
  readonly pgpKeys?: string;
  /** gitsign (Sigstore keyless x509) identities: issuer + subject | subjectRegexp. */
  readonly gitsign?: readonly IdentityRule[];
}

export interface ProtectedPaths extends CommitSignerSet {
  /** Glob patterns (e.g. `.github/workflows/**`, `infra/**`): a commit touching any of them needs a signer from THIS set. */
  readonly paths: readonly string[];
}

/**
 * When a signing key's validity (allowed_signers valid-after/valid-before, OpenPGP expiry) is judged:
 * - `trusted`: at the verification time the caller injects (when the source record is signed) — a
 *   commit back-dated into the window of a key expired since is rejected. Recommended; the default.
 * - `committer`: at the commit's committer time, which the signer chooses — old commits of a rotated
 *   key still verify, and so does a thief's commit dated back into the key's validity.
 */
export type SignatureTime = 'trusted' | 'committer';

export interface CommitPolicy {
  readonly signers: CommitSignerSet;
  readonly protectedPaths: readonly ProtectedPaths[];
  /** Merge commits (more than one parent) are rejected unless true. */
  readonly allowMergeCommits: boolean;
  /** Commits signed by GitHub's web-flow key (merges/edits made in the web UI) are rejected unless true. */
  readonly allowWebFlow: boolean;
  /** When key validity is judged; absent means `trusted`. */
  readonly signatureTime?: SignatureTime;
}
