// The job summary: one row per commit — commit, signer, key, verdict, reason — under a line saying
// what was verified against which signers.
import type { CommitVerdict } from '@sathos/core';
import type { JobSummary } from '@sathos/github';

export const SUMMARY_HEADER = ['commit', 'signer', 'key', 'verdict', 'reason'] as const;

export function commitRow(verdict: CommitVerdict): string[] {
  const paths = verdict.protectedPaths?.length
    ? ` (protected: ${verdict.protectedPaths.join(', ')})`
    : '';
  return [
    verdict.commit.slice(0, 12),
    verdict.signer ?? '—',
    verdict.key ?? '—',
    verdict.verdict === 'verified' ? '✅ verified' : '❌ rejected',
    `${verdict.reason}${paths}`,
  ];
}

export function commitSummary(input: {
  readonly verdicts: readonly CommitVerdict[];
  readonly lines: readonly string[];
}): JobSummary {
  const rejected = input.verdicts.filter((v) => v.verdict !== 'verified').length;
  const heading =
    rejected === 0
      ? `Commit signatures: ${input.verdicts.length} verified`
      : `Commit signatures: ${rejected} of ${input.verdicts.length} rejected`;
  return {
    heading,
    lines: input.lines,
    table: { header: SUMMARY_HEADER, rows: input.verdicts.map(commitRow) },
  };
}
