// attest-step's evidence: its report files, read bounded once, in the ecosystem's formats — JUnit
// → in-toto test-result, SARIF → in-toto vulns, SPDX / CycloneDX JSON → their own predicate types.
// A malformed, truncated or oversized report is an error naming the file before anything is signed.
import {
  REPORT_LIMITS,
  parseJUnit,
  parseSarif,
  parseSbom,
  sbomStatementOf,
  testResultStatement,
  vulnsStatement,
  type Report,
  type Statement,
  type Subject,
} from '@sathos/core';
import type { EvidenceInputs, RunContext } from '@sathos/github';
import { readBoundedFile } from '@sathos/node';

async function readReport(path: string, what: string, maxBytes: number): Promise<Report> {
  const bytes = await readBoundedFile(path, { what, maxBytes, tooLarge: 'TOO_LARGE' });
  return { name: path, bytes };
}

async function readReports(paths: readonly string[], what: string): Promise<Report[]> {
  const reports: Report[] = [];
  for (const path of paths)
    reports.push(await readReport(path, what, REPORT_LIMITS.maxReportBytes));
  return reports;
}

/** Reads and parses every report once; the result makes each part's statements. */
export async function stepEvidence(
  inputs: EvidenceInputs,
  context: RunContext,
): Promise<(subjects: readonly Subject[]) => readonly Statement[]> {
  const url = `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`;
  const junit =
    inputs.junit.length === 0
      ? undefined
      : parseJUnit(await readReports(inputs.junit, 'JUnit report'));
  const sarif =
    inputs.sarif.length === 0
      ? undefined
      : parseSarif(await readReports(inputs.sarif, 'SARIF report'));
  const sbom =
    inputs.sbomPath === undefined
      ? undefined
      : parseSbom(await readReport(inputs.sbomPath, 'SBOM', REPORT_LIMITS.maxSbomBytes));
  const time = new Date();
  return (part) => [
    ...(junit === undefined ? [] : [testResultStatement(part, junit, { url })]),
    ...(sarif === undefined ? [] : [vulnsStatement(part, sarif, { time })]),
    ...(sbom === undefined ? [] : [sbomStatementOf(part, sbom)]),
  ];
}
