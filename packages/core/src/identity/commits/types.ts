// What commit verification is asked and what it answers: the range to check and one verdict per
// commit, with the reason a person reads (the shapes the verify-commit-signature action renders).

/**
 * The commits to verify.
 * - `range`: every commit reachable from `head` and not from `base` (a push's `before..after`, or a pull
 *   request's `base.sha..head.sha`). When `base` is all zeros or unknown to git (a new branch, a force
 *   push, a shallow clone) and `defaultBranch` is given, the commits of `head` not on `defaultBranch`
 *   are verified instead; without it the range is refused (RANGE_UNVERIFIABLE), never guessed.
 * - `list`: exactly these commits (any revision git resolves).
 */
export type CommitRange =
  | {
      readonly kind: 'range';
      readonly base: string;
      readonly head: string;
      readonly defaultBranch?: string;
      /**
       * Also verify every commit of `head` not on `defaultBranch` (required then). A push to a branch
       * other than the default: an unsigned commit pushed earlier (its run failed, the push stood) is
       * in the history of a later push's head and must be verified again, not laundered.
       */
      readonly sinceDefaultBranch?: boolean;
    }
  | { readonly kind: 'list'; readonly commits: readonly string[] };

export type CommitSignatureFormat = 'ssh' | 'openpgp' | 'x509' | 'none';

export interface CommitVerdict {
  readonly commit: string;
  readonly verdict: 'verified' | 'rejected';
  readonly format: CommitSignatureFormat;
  /** Who signed: the SSH principal (the committer's email), the OpenPGP user ID, or the gitsign certificate's SAN. */
  readonly signer?: string;
  /** Which key: `SHA256:…` for SSH, the (sub)key fingerprint for OpenPGP, `sha256:<hex>` of the gitsign certificate. */
  readonly key?: string;
  /** Why it was verified or rejected, one line. */
  readonly reason: string;
  /** The protected path patterns this commit touched (their signer sets were required too). */
  readonly protectedPaths?: string[];
}

export interface CommitsVerification {
  /** One verdict per commit, parents before children. */
  readonly commits: readonly CommitVerdict[];
  /** True only when there was at least one commit and every one was verified. */
  readonly verified: boolean;
  /** The range held no commits: nothing was verified, and `verified` is false. */
  readonly emptyRange: boolean;
  /** One line for people: what was checked and the outcome. */
  readonly reason: string;
}
