// attest-step's evidence: its report files, read bounded once, in the ecosystem's formats — JUnit
// → in-toto test-result, SARIF → in-toto vulns, SPDX / CycloneDX JSON → their own predicate types.
// A malformed, truncated or oversized report is an error naming the file before anything is signed.
import { resolve } from 'node:path';
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

/** A report named as the input names it, read relative to the workspace (as subjects are). */
async function readReport(
  workspace: string,
  path: string,
  what: string,
  maxBytes: number,
): Promise<Report> {
  const file = resolve(workspace, path);
  const bytes = await readBoundedFile(file, { what, maxBytes, tooLarge: 'TOO_LARGE' });
  return { name: path, bytes };
}

async function readReports(
  workspace: string,
  paths: readonly string[],
  what: string,
): Promise<Report[]> {
  const reports: Report[] = [];
  for (const path of paths) {
    reports.push(await readReport(workspace, path, what, REPORT_LIMITS.maxReportBytes));
  }
  return reports;
}

/** Reads and parses every report once; the result makes each part's statements. */
export async function stepEvidence(
  inputs: EvidenceInputs,
  context: RunContext,
  workspace: string,
): Promise<(subjects: readonly Subject[]) => readonly Statement[]> {
  const url = `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`;
  const junit =
    inputs.junit.length === 0
      ? undefined
      : parseJUnit(await readReports(workspace, inputs.junit, 'JUnit report'));
  const sarif =
    inputs.sarif.length === 0
      ? undefined
      : parseSarif(await readReports(workspace, inputs.sarif, 'SARIF report'));
  const sbom =
    inputs.sbomPath === undefined
      ? undefined
      : parseSbom(await readReport(workspace, inputs.sbomPath, 'SBOM', REPORT_LIMITS.maxSbomBytes));
  const time = new Date();
  return (part) => [
    ...(junit === undefined ? [] : [testResultStatement(part, junit, { url })]),
    ...(sarif === undefined ? [] : [vulnsStatement(part, sarif, { time })]),
    ...(sbom === undefined ? [] : [sbomStatementOf(part, sbom)]),
  ];
}
