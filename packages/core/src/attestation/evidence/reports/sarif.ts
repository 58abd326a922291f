// SARIF 2.1.0 → the in-toto vulns v0.2 predicate (spec/predicates/vulns_02.md), the SARIF files
// kept by digest beside it. Each result is one entry: its rule id, and its severity scored three
// ways — `severity` (critical…none, the scale policies count, see severity.ts), then what the SARIF
// said: `security-severity` (the CVSS-like score GitHub code scanning reads from the result's or
// the rule's properties) or `sarif-level` (error, warning, note, none; error reads as high,
// warning as medium, note as low). Several files and runs merge into one list; every tool is
// named in `sathosScanners`, the first is the predicate's `scanner`.
import { describeCause, SathosError } from '../../../errors.js';
import type { ResourceDescriptor, Statement } from '../../record/statement.js';
import { STATEMENT_TYPE } from '../../record/statement.js';
import { VULNS_V02 } from '../predicates.js';
import type { Json, Report, ReportLimits } from './report.js';
import {
  checkReportCount,
  clip,
  isObject,
  parseJsonReport,
  REPORT_LIMITS,
  reportDescriptor,
  reportError,
} from './report.js';
import type { SarifFinding } from './sarif-result.js';
import { findingOf, rulesOf, text } from './sarif-result.js';

export const SARIF_MEDIA_TYPE = 'application/sarif+json';

/** Result kinds that are not findings (SARIF §3.27.9): a check that passed or did not apply. */
const NOT_FINDINGS = new Set(['pass', 'notApplicable', 'informational']);

export interface ScannerInfo {
  readonly name: string;
  readonly uri: string;
  readonly version?: string;
}

/** The findings of one or more SARIF files. */
export interface SarifScan {
  readonly scanners: readonly ScannerInfo[];
  readonly findings: readonly SarifFinding[];
  /** Earliest invocation start and latest end the files record, when they record them. */
  readonly startedOn?: Date;
  readonly finishedOn?: Date;
  readonly reports: readonly ResourceDescriptor[];
}

export interface VulnsOptions {
  /** When the scan ran, for files that record no invocation times (the spec requires them). */
  readonly time?: Date;
}

function scannerOf(run: Json, report: Report, index: number): ScannerInfo {
  const tool = isObject(run.tool) ? run.tool : {};
  const driver = isObject(tool.driver) ? tool.driver : {};
  const name = text(driver.name);
  if (name === undefined) {
    throw reportError(report, `runs[${index}].tool.driver.name is missing: not a SARIF 2.1.0 log`);
  }
  const info = text(driver.informationUri);
  const uri =
    info !== undefined && URL.canParse(info) ? info : `pkg:generic/${encodeURIComponent(name)}`;
  const version = text(driver.semanticVersion) ?? text(driver.version);
  return { name: clip(name), uri, ...(version === undefined ? {} : { version: clip(version) }) };
}

interface Times {
  start?: Date;
  end?: Date;
}

function readTimes(run: Json, times: Times, report: Report, index: number): void {
  const invocations = Array.isArray(run.invocations) ? run.invocations : [];
  for (const invocation of invocations) {
    if (!isObject(invocation)) continue;
    if (invocation.executionSuccessful === false) {
      throw reportError(
        report,
        `runs[${index}] records a failed execution: the scan did not complete — rerun it`,
      );
    }
    const start = text(invocation.startTimeUtc);
    const end = text(invocation.endTimeUtc);
    const s = start === undefined ? undefined : new Date(start);
    const e = end === undefined ? undefined : new Date(end);
    if (
      s !== undefined &&
      !Number.isNaN(s.getTime()) &&
      (times.start === undefined || s < times.start)
    )
      times.start = s;
    if (e !== undefined && !Number.isNaN(e.getTime()) && (times.end === undefined || e > times.end))
      times.end = e;
  }
}

interface Accumulator {
  readonly scanners: ScannerInfo[];
  readonly findings: SarifFinding[];
  readonly times: Times;
}

function readRun(
  run: unknown,
  index: number,
  acc: Accumulator,
  report: Report,
  limits: ReportLimits,
) {
  if (!isObject(run)) throw reportError(report, `runs[${index}] is not an object`);
  const scanner = scannerOf(run, report, index);
  if (!acc.scanners.some((s) => s.uri === scanner.uri && s.version === scanner.version)) {
    acc.scanners.push(scanner);
  }
  if (!Array.isArray(run.results)) {
    throw reportError(
      report,
      `runs[${index}] (${scanner.name}) has no results list: SARIF says the tool failed to run`,
    );
  }
  readTimes(run, acc.times, report, index);
  const rules = rulesOf(run);
  for (const result of run.results) {
    if (!isObject(result))
      throw reportError(report, `runs[${index}] holds a result that is not an object`);
    if (typeof result.kind === 'string' && NOT_FINDINGS.has(result.kind)) continue;
    if (acc.findings.length >= limits.maxFindings) {
      throw reportError(report, `the SARIF files hold more than ${limits.maxFindings} results`);
    }
    acc.findings.push(findingOf(result, rules, scanner.name));
  }
}

function readOne(report: Report, acc: Accumulator, limits: ReportLimits): void {
  const log = parseJsonReport(report, limits.maxReportBytes, 'SARIF', limits);
  if (!isObject(log)) throw reportError(report, 'the SARIF file is not a JSON object');
  if (log.version !== '2.1.0') {
    const seen = typeof log.version === 'string' ? `"${clip(log.version)}"` : 'missing';
    throw reportError(report, `the SARIF version is ${seen}: only SARIF 2.1.0 is read`);
  }
  if (!Array.isArray(log.runs) || log.runs.length === 0) {
    throw reportError(report, 'the SARIF file holds no runs: point to the log the scanner wrote');
  }
  log.runs.forEach((run, index) => {
    readRun(run, index, acc, report, limits);
  });
}

/** Reads SARIF files into one scan; any unusable file throws REPORT_INVALID naming it. */
export function parseSarif(
  reports: readonly Report[],
  limits: ReportLimits = REPORT_LIMITS,
): SarifScan {
  checkReportCount(reports, 'SARIF', limits);
  const acc: Accumulator = { scanners: [], findings: [], times: {} };
  for (const report of reports) {
    try {
      readOne(report, acc, limits);
    } catch (cause) {
      if (cause instanceof SathosError) throw cause;
      throw reportError(
        report,
        `the SARIF file could not be read (${describeCause(cause)})`,
        cause,
      );
    }
  }
  return {
    scanners: acc.scanners,
    findings: acc.findings,
    ...(acc.times.start === undefined ? {} : { startedOn: acc.times.start }),
    ...(acc.times.end === undefined ? {} : { finishedOn: acc.times.end }),
    reports: reports.map((r) => reportDescriptor(r, SARIF_MEDIA_TYPE)),
  };
}

/** The vulns v0.2 statement of a scan; a scan without times needs `options.time`. */
export function vulnsStatement(
  subjects: readonly ResourceDescriptor[],
  scan: SarifScan,
  options: VulnsOptions = {},
): Statement {
  const startedOn = scan.startedOn ?? options.time;
  const finishedOn = scan.finishedOn ?? scan.startedOn ?? options.time;
  const names = scan.reports.map((r) => r.name).join(', ');
  if (startedOn === undefined || finishedOn === undefined) {
    throw reportError(
      { name: names },
      'the SARIF files record no invocation start time and no scan time was given: pass the time the scan ran',
    );
  }
  const [first] = scan.scanners;
  if (first === undefined) throw reportError({ name: names }, 'the SARIF files name no scanner');
  return {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: VULNS_V02,
    predicate: {
      scanner: {
        uri: first.uri,
        ...(first.version === undefined ? {} : { version: first.version }),
        result: scan.findings,
      },
      metadata: {
        scanStartedOn: startedOn.toISOString(),
        scanFinishedOn: finishedOn.toISOString(),
      },
      // Extension fields (in-toto parsing rules): every tool that reported, and the SARIF files.
      sathosScanners: scan.scanners,
      sathosReports: scan.reports,
    },
  };
}

/** SARIF files → one vulns statement about `subjects`. */
export function vulnsFromSarif(
  subjects: readonly ResourceDescriptor[],
  reports: readonly Report[],
  options: VulnsOptions = {},
): Statement {
  return vulnsStatement(subjects, parseSarif(reports), options);
}
