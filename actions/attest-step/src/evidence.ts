// attest-step's evidence: its report files, read bounded once through @sathos/node's
// readReportEvidence (the same reader `sathos attest` uses), relative to the workspace as subjects
// are. A malformed, truncated or oversized report is an error naming the file before anything is signed.
import type { Statement, Subject } from '@sathos/core';
import type { EvidenceInputs, RunContext } from '@sathos/github';
import { readReportEvidence } from '@sathos/node';

/** Reads and parses every report once; the result makes each part's statements. */
export async function stepEvidence(
  inputs: EvidenceInputs,
  context: RunContext,
  workspace: string,
): Promise<(subjects: readonly Subject[]) => readonly Statement[]> {
  return readReportEvidence(
    {
      junit: inputs.junit,
      sarif: inputs.sarif,
      ...(inputs.sbomPath === undefined ? {} : { sbom: inputs.sbomPath }),
      base: workspace,
    },
    {
      scannedOn: new Date(),
      testRunUrl: `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`,
    },
  );
}
