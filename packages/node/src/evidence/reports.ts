// A step's report files turned into its evidence, the same for `sathos attest` and attest-step:
// each file read once and bounded, parsed in the ecosystem's format (JUnit → in-toto test-result,
// SARIF → in-toto vulns, SPDX / CycloneDX JSON → their own predicate types), and a function that
// builds those statements for each part of the step's subjects. A file that cannot be read is
// FILE_UNREADABLE naming it; one too large is REPORT_INVALID, like a malformed one (exit 2 both).
import { resolve } from 'node:path';
import type { Report, ResourceDescriptor, Statement } from '@sathos/core';
import {
  REPORT_LIMITS,
  parseJUnit,
  parseSarif,
  parseSbom,
  sbomStatementOf,
  testResultStatement,
  vulnsStatement,
} from '@sathos/core';
import { readBoundedFile } from '../files.js';

/** The report files a step names, as it names them (relative to `base` when one is given). */
export interface ReportFiles {
  readonly junit?: readonly string[];
  readonly sarif?: readonly string[];
  readonly sbom?: string;
  /** The directory relative names are read from (the workspace); the process's own when absent. */
  readonly base?: string;
}

export interface ReportEvidenceOptions {
  /** When the scan ran: SARIF seldom says, and the vulns predicate needs it. */
  readonly scannedOn: Date;
  /** Where the test run can be seen (the workflow run), for the test-result predicate. */
  readonly testRunUrl?: string;
}

/** Builds one part's evidence statements for the part's subjects. */
export type PartEvidence = (subjects: readonly ResourceDescriptor[]) => Statement[];

async function readReport(
  files: ReportFiles,
  path: string,
  what: string,
  maxBytes: number,
): Promise<Report> {
  const file = files.base === undefined ? path : resolve(files.base, path);
  const bytes = await readBoundedFile(file, { what, maxBytes, tooLarge: 'REPORT_INVALID' });
  // Named as the step named it: the name is signed into the evidence, the path is this machine's.
  return { name: path, bytes };
}

function readReports(files: ReportFiles, paths: readonly string[], what: string) {
  return Promise.all(
    paths.map((path) => readReport(files, path, what, REPORT_LIMITS.maxReportBytes)),
  );
}

/** Reads and parses every report once; the result builds each part's statements. */
export async function readReportEvidence(
  files: ReportFiles,
  options: ReportEvidenceOptions,
): Promise<PartEvidence> {
  const junit = files.junit ?? [];
  const sarif = files.sarif ?? [];
  const tests =
    junit.length === 0 ? undefined : parseJUnit(await readReports(files, junit, 'JUnit report'));
  const scan =
    sarif.length === 0 ? undefined : parseSarif(await readReports(files, sarif, 'SARIF report'));
  const sbom =
    files.sbom === undefined
      ? undefined
      : parseSbom(await readReport(files, files.sbom, 'SBOM', REPORT_LIMITS.maxSbomBytes));
  const url = options.testRunUrl;
  return (part) => [
    ...(tests === undefined
      ? []
      : [testResultStatement(part, tests, url === undefined ? {} : { url })]),
    ...(scan === undefined ? [] : [vulnsStatement(part, scan, { time: options.scannedOn })]),
    ...(sbom === undefined ? [] : [sbomStatementOf(part, sbom)]),
  ];
}
