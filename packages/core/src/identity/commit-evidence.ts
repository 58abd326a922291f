// The source stage's evidence: the per-commit verdicts of a verified range as the commit-signatures
// statement (docs/spec.md), about the head commit, for the genesis record of the chain.
import { commitSignatures, type CommitSignatureResult } from '../attestation/evidence.js';
import type { Statement } from '../attestation/statement.js';
import { SathosError } from '../errors.js';
import type { CommitsVerification } from './commit-verification.js';

export interface CommitEvidenceInput {
  /** `owner/name`; the subject is named `git+<repository>`. */
  readonly repository: string;
  /** The commit the run builds (the subject's gitCommit). */
  readonly head: string;
  readonly verification: CommitsVerification;
  /** Who verified, e.g. the verify-commit-signature action's reference. */
  readonly verifier: string;
}

/** Only a verified range is evidence: a rejected or empty one throws COMMIT_REJECTED. */
export function commitSignaturesEvidence(input: CommitEvidenceInput): Statement {
  const { verification } = input;
  if (!verification.verified) {
    throw new SathosError(
      'COMMIT_REJECTED',
      `no evidence for an unverified range: ${verification.reason}`,
    );
  }
  const results: CommitSignatureResult[] = verification.commits.map((v) => {
    if (v.format === 'none')
      throw new SathosError('COMMIT_REJECTED', `commit ${v.commit} is not signed`);
    return {
      commit: v.commit,
      format: v.format,
      signer: v.signer ?? '',
      key: v.key ?? '',
      verdict: v.verdict,
      reason: v.reason,
    };
  });
  const subject = { name: `git+${input.repository}`, digest: { gitCommit: input.head } };
  return commitSignatures([subject], results, input.verifier);
}
