// The source stage's evidence: the per-commit verdicts of a verified range as the commit-signatures
// statement (docs/spec.md), about the commit(s) the run builds, for the genesis record of the chain.
import { commitSignatures, type CommitSignatureResult } from './predicates.js';
import type { ResourceDescriptor, Statement } from '../record/statement.js';
import { SathosError } from '../../errors.js';
import type { CommitVerdict } from '../../identity/commits/types.js';

/**
 * The source record's subjects: the commit the run builds, and the verified head when it differs
 * (a pull request's run builds GitHub's test merge of the head).
 */
export function sourceSubjects(
  repository: string,
  runCommit: string,
  head: string,
): ResourceDescriptor[] {
  const commits = runCommit === head ? [runCommit] : [runCommit, head];
  return commits.map((gitCommit) => ({ name: `git+${repository}`, digest: { gitCommit } }));
}

function evidenceResult(verdict: CommitVerdict): CommitSignatureResult {
  if (verdict.verdict !== 'verified' || verdict.format === 'none') {
    throw new SathosError(
      'COMMIT_REJECTED',
      `commit ${verdict.commit} is not verified: ${verdict.reason}; no record is written`,
    );
  }
  return {
    commit: verdict.commit,
    format: verdict.format,
    signer: verdict.signer ?? '',
    key: verdict.key ?? '',
    verdict: verdict.verdict,
    reason: verdict.reason,
  };
}

export interface CommitEvidenceInput {
  readonly subjects: readonly ResourceDescriptor[];
  /** Every verdict must be `verified`: only a verified range is evidence. */
  readonly verdicts: readonly CommitVerdict[];
  /** Who verified, e.g. the verify-commit-signature action's reference. */
  readonly verifier: string;
}

/** Throws COMMIT_REJECTED for an empty range or any commit that is not verified. */
export function commitSignaturesEvidence(input: CommitEvidenceInput): Statement {
  if (input.verdicts.length === 0) {
    throw new SathosError('COMMIT_REJECTED', 'no verified commit: an empty range is no evidence');
  }
  return commitSignatures(input.subjects, input.verdicts.map(evidenceResult), input.verifier);
}
