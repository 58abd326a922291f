// What every report reader shares: the report as handed in (a name and its bytes), the limits, the
// one error a bad report gets (REPORT_INVALID, exit 2, naming the file), strict UTF-8 decoding and
// bounded JSON parsing. The edges read the files; these functions only ever see bytes.
import { jsonNestingProblem } from '../../../json-nesting.js';
import { sha256Hex } from '../../../digest.js';
import { describeCause, SathosError } from '../../../errors.js';
import type { ResourceDescriptor } from '../../record/statement.js';

/** A report file as the edge read it: the name it is known by (a path) and its exact bytes. */
export interface Report {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Limits of the report readers; each is refused with a clear error before it costs more. */
export interface ReportLimits {
  /** JUnit XML and SARIF files, each. */
  readonly maxReportBytes: number;
  /** SBOMs: GitHub's own limit for `actions/attest`'s sbom-path. */
  readonly maxSbomBytes: number;
  /**
   * JSON values of an SBOM: the document is the predicate, and the policy's `evidence` input holds
   * at most 500,000 values — past this a step with the SBOM could not be decided.
   */
  readonly maxSbomValues: number;
  /** Reports merged into one statement. */
  readonly maxReports: number;
  /** XML element and JSON nesting depth. */
  readonly maxDepth: number;
  /** Elements of one JUnit file (every tag, test cases included). */
  readonly maxElements: number;
  /**
   * Test cases over all JUnit files of a statement. Every name goes into the policy's `evidence`
   * variable, whose values are bounded (500,000, docs/policy.md § Limits): past this many, a step
   * could not be decided at all.
   */
  readonly maxTests: number;
  /**
   * Results over all SARIF files of a statement: each is about 15 values of the policy's input, and
   * the input counts a predicate twice (`evidence.vulns` and `evidence.byType`), so 25,000 results
   * already made a step undecidable.
   */
  readonly maxFindings: number;
  /** Characters kept of a test name, a rule id or a message. */
  readonly maxTextChars: number;
}

export const REPORT_LIMITS: ReportLimits = Object.freeze({
  maxReportBytes: 64 * 1024 * 1024,
  maxSbomBytes: 16 * 1024 * 1024,
  maxSbomValues: 400_000,
  maxReports: 256,
  maxDepth: 64,
  maxElements: 2_000_000,
  maxTests: 100_000,
  maxFindings: 10_000,
  maxTextChars: 1024,
});

/** The one error of a report that cannot be used: `where` is the file, the message what to do. */
export function reportError(report: Pick<Report, 'name'>, message: string, cause?: unknown) {
  return new SathosError('REPORT_INVALID', message, {
    where: report.name,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The file's own bytes as a ResourceDescriptor, so the predicate keeps the report by digest. */
export function reportDescriptor(report: Report, mediaType: string): ResourceDescriptor {
  return { name: report.name, digest: { sha256: sha256Hex(report.bytes) }, mediaType };
}

/** Refuses a set of reports that is empty or too many to merge. */
export function checkReportCount(reports: readonly Report[], kind: string, limits = REPORT_LIMITS) {
  if (reports.length === 0) {
    throw new SathosError('REPORT_INVALID', `no ${kind} report given: name at least one file`);
  }
  if (reports.length > limits.maxReports) {
    throw new SathosError(
      'REPORT_INVALID',
      `${reports.length} ${kind} reports given, more than ${limits.maxReports}: merge them first`,
    );
  }
}

/** Strict UTF-8 (a leading byte order mark dropped): bad bytes are an error, never U+FFFD. */
export function decodeReport(report: Report, maxBytes: number, kind: string): string {
  if (report.bytes.byteLength === 0) {
    throw reportError(report, `the ${kind} file is empty: point to the report the tool wrote`);
  }
  if (report.bytes.byteLength > maxBytes) {
    throw reportError(
      report,
      `the ${kind} file holds ${report.bytes.byteLength} bytes, more than the ${maxBytes} allowed`,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(report.bytes);
  } catch (cause) {
    throw reportError(report, `the ${kind} file is not UTF-8 text`, cause);
  }
}

/** What is past the limits of a parsed JSON value, walked without recursion; undefined if nothing. */
function pastLimits(value: unknown, maxDepth: number, maxValues: number): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  let values = 0;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    values += 1;
    if (values > maxValues) return `holds more than ${maxValues} JSON values`;
    if (typeof top.value !== 'object' || top.value === null) continue;
    if (top.depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
    const children = Array.isArray(top.value) ? top.value : Object.values(top.value);
    for (const child of children) stack.push({ value: child, depth: top.depth + 1 });
  }
  return undefined;
}

/** Whether JSON.parse stopped because the text ended: no position, or one at the (trimmed) end. */
function endsEarly(text: string, message: string): boolean {
  if (/end of (JSON )?input/i.test(message)) return true;
  const position = /at position (\d+)/.exec(message)?.[1];
  return position !== undefined && Number(position) >= text.trimEnd().length;
}

/** Parses a JSON report within the limits; truncated or malformed JSON names the file. */
export function parseJsonReport(
  report: Report,
  maxBytes: number,
  kind: string,
  limits: ReportLimits = REPORT_LIMITS,
  maxValues = Number.MAX_SAFE_INTEGER,
): unknown {
  const text = decodeReport(report, maxBytes, kind);
  const deep = jsonNestingProblem(text, limits.maxDepth);
  if (deep !== undefined) throw reportError(report, `the ${kind} file ${deep}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const hint = endsEarly(text, describeCause(cause)) ? 'truncated' : 'malformed';
    throw reportError(report, `the ${kind} file is ${hint} JSON (${describeCause(cause)})`, cause);
  }
  const past = pastLimits(value, limits.maxDepth, maxValues);
  if (past !== undefined) throw reportError(report, `the ${kind} file ${past}`);
  return value;
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A text field, cut to the limit so one report cannot make a statement of megabyte names. */
export function clip(text: string, limits: ReportLimits = REPORT_LIMITS): string {
  return text.length <= limits.maxTextChars ? text : `${text.slice(0, limits.maxTextChars - 1)}…`;
}
