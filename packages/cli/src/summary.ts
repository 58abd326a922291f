// Step 9 of chain verification as the CLI shows it: what a person reads, and the `--json` details
// around the verification summary core made (an SLSA VSA v1 statement, unsigned here).
import type { ChainVerdict, ChainVerification } from '@sathos/core';
import { describeSigner } from '@sathos/core';

export const VERIFIER_ID = 'https://sathos.dev/verifier/sathos-cli@0.1.0';

/** The `--json` details of a verified chain. */
export function chainSummary({
  verification: result,
  summary,
}: ChainVerdict): Record<string, unknown> {
  return {
    complete: result.complete,
    run: result.run,
    genesis: result.genesis.digest,
    head: result.head.digest,
    records: result.records.map((r) => ({
      digest: r.digest,
      stage: r.stage,
      sequence: r.sequence,
      signer: describeSigner(r.signer),
      subjects: r.statement.subject.map((s) => s.name ?? JSON.stringify(s.digest)),
      evidence: r.evidence.map((e) => e.predicateType),
      location: r.where,
    })),
    summary,
  };
}

/** The chain of custody as a person reads it, one line a record. */
export function summaryLines(result: ChainVerification): string[] {
  const lines = [
    `run ${result.run.repository} #${result.run.runId}.${result.run.runAttempt} at ${result.run.commit}`,
  ];
  for (const r of result.records) {
    const subjects = r.statement.subject
      .map((s) => s.name ?? Object.values(s.digest ?? {})[0]?.slice(0, 12))
      .join(', ');
    const evidence =
      r.evidence.length === 0
        ? ''
        : ` + ${r.evidence.map((e) => e.predicateType.split('/').slice(-2).join('/')).join(', ')}`;
    lines.push(
      `  ${String(r.sequence).padStart(3)}  ${r.stage.padEnd(9)} ${r.digest.slice(0, 16)}…  ${subjects}${evidence}  signed by ${describeSigner(r.signer)}`,
    );
  }
  return lines;
}
