// JUnit XML → the in-toto test-result predicate (spec/predicates/test-result.md). Reads the shapes
// tools write: a <testsuites> root or a single <testsuite>, suites nested in suites (node --test
// nests one per describe), test cases directly under <testsuites>. A test case failed when it holds
// <failure> or <error>; a skipped (or todo) case proves nothing and is reported as warned, as is a
// case that failed then passed on a rerun (<flakyFailure>, surefire). The tool's own counters
// (tests="…" failures="…") are not trusted: only the test cases count.
import { XMLParser } from 'fast-xml-parser';
import { describeCause } from '../../../errors.js';
import type { ResourceDescriptor, Statement } from '../../record/statement.js';
import { STATEMENT_TYPE } from '../../record/statement.js';
import { TEST_RESULT_V01 } from '../predicates.js';
import type { Json, Report, ReportLimits } from './report.js';
import {
  checkReportCount,
  clip,
  decodeReport,
  isObject,
  REPORT_LIMITS,
  reportDescriptor,
  reportError,
} from './report.js';
import { scanXml } from './xml-scan.js';

export const JUNIT_MEDIA_TYPE = 'application/xml';

/** The test cases of one or more JUnit files, by outcome; names are `suite/…/class/test`. */
export interface JUnitRun {
  readonly passed: readonly string[];
  readonly warned: readonly string[];
  readonly failed: readonly string[];
  /** The JUnit files themselves, by digest. */
  readonly reports: readonly ResourceDescriptor[];
}

/** What the spec's optional and required fields hold beyond the tests. */
export interface TestResultOptions {
  /** The test run, e.g. the workflow run's URL. */
  readonly url?: string;
  /** The configuration the tests ran with (the spec requires the list; it may be empty). */
  readonly configuration?: readonly ResourceDescriptor[];
}

const ATTRS = ':@';
const LISTS = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped']);
const FLAKY = ['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError'];

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: ATTRS,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: true,
  // Output and stack traces are never read: their content is not parsed at all.
  stopNodes: ['*.system-out', '*.system-err', '*.failure', '*.error', '*.skipped'],
  isArray: (name) => LISTS.has(name),
  maxNestedTags: REPORT_LIMITS.maxDepth + 1,
  // No path strings per tag: nothing here matches on paths, and building them costs per element.
  jPath: false,
});

type Outcome = 'passed' | 'warned' | 'failed';

interface Collector {
  readonly passed: string[];
  readonly warned: string[];
  readonly failed: string[];
  count: number;
}

function attr(node: Json, name: string): string | undefined {
  const attrs = node[ATTRS];
  if (!isObject(attrs)) return undefined;
  const value = attrs[name];
  return typeof value === 'string' ? value : undefined;
}

function children(node: Json, name: string): Json[] {
  const value = node[name];
  if (value === undefined) return [];
  // An element holding only text parses to a string; as a list child it still counts.
  return (Array.isArray(value) ? value : [value]).map((v) => (isObject(v) ? v : {}));
}

function outcome(testcase: Json): Outcome {
  if (children(testcase, 'failure').length > 0 || children(testcase, 'error').length > 0) {
    return 'failed';
  }
  if (children(testcase, 'skipped').length > 0) return 'warned';
  return FLAKY.some((name) => testcase[name] !== undefined) ? 'warned' : 'passed';
}

/** `suite/…/class/test`; the class is left out when it only repeats the suite path. */
function testName(suites: readonly string[], testcase: Json, report: Report, limits: ReportLimits) {
  const name = attr(testcase, 'name');
  if (name === undefined || name === '') {
    throw reportError(report, `a <testcase> under "${suites.join('/')}" has no name attribute`);
  }
  const cls = attr(testcase, 'classname');
  const redundant =
    cls === undefined || cls === '' || cls === suites.at(-1) || cls === suites.join('.');
  return [...suites, ...(redundant ? [] : [cls]), name].map((p) => clip(p, limits)).join('/');
}

/** A suite's own counter (`failures`, `errors`) when it is a plain number, else 0. */
function counter(suite: Json, name: string): number {
  const value = attr(suite, name)?.trim() ?? '';
  return /^\d{1,9}$/.test(value) ? Number(value) : 0;
}

/**
 * What failed on the suite itself rather than in a case: a <failure> or <error> written on the
 * suite (a setup or a worker that broke), and failures its counters claim beyond the failed cases
 * under it. Counters never excuse a failed case; they may only add failures.
 */
function suiteFailures(suite: Json, path: readonly string[], failedCases: number): string[] {
  const at = (what: string) => [...path, `(${what})`].join('/');
  const out: string[] = [];
  for (const kind of ['failure', 'error'] as const) {
    if (children(suite, kind).length > 0) {
      out.push(
        at(
          `${kind === 'error' ? 'an error' : 'a failure'} reported on the suite, outside its test cases`,
        ),
      );
    }
  }
  const claimed = counter(suite, 'failures') + counter(suite, 'errors');
  if (claimed > failedCases + out.length) {
    const missing = claimed - failedCases - out.length;
    out.push(at(`${missing} failure(s) or error(s) the suite counts but no test case shows`));
  }
  return out;
}

/** Collects the suite's cases, its nested suites and then the failures of the suite itself. */
function collectSuite(
  suite: Json,
  path: readonly string[],
  out: Collector,
  report: Report,
  limits: ReportLimits,
): void {
  const before = out.failed.length;
  for (const testcase of children(suite, 'testcase')) {
    out.count += 1;
    if (out.count > limits.maxTests) {
      throw reportError(report, `the JUnit reports hold more than ${limits.maxTests} test cases`);
    }
    out[outcome(testcase)].push(testName(path, testcase, report, limits));
  }
  for (const nested of children(suite, 'testsuite')) {
    const name = attr(nested, 'name');
    collectSuite(
      nested,
      name === undefined || name === '' ? path : [...path, name],
      out,
      report,
      limits,
    );
  }
  out.failed.push(...suiteFailures(suite, path, out.failed.length - before));
}

/** The root element: exactly one, <testsuites> or <testsuite>. */
function rootOf(document: Json, report: Report): { kind: string; node: Json } {
  const roots = Object.keys(document).filter((k) => k !== ATTRS && !k.startsWith('#'));
  const kind = roots[0];
  if (roots.length !== 1 || kind === undefined) {
    throw reportError(report, 'the XML file has no single root element');
  }
  if (kind !== 'testsuites' && kind !== 'testsuite') {
    throw reportError(
      report,
      `the root element is <${kind}>, not <testsuites> or <testsuite>: is this a JUnit report?`,
    );
  }
  const value = document[kind];
  const node: unknown = Array.isArray(value) ? value[0] : value;
  return { kind, node: isObject(node) ? node : {} };
}

function readOne(report: Report, out: Collector, limits: ReportLimits): void {
  const before = out.count;
  const text = decodeReport(report, limits.maxReportBytes, 'JUnit');
  const shape = scanXml(text, report, limits, 'testcase');
  let document: unknown;
  try {
    document = parser.parse(text);
  } catch (cause) {
    throw reportError(
      report,
      `the JUnit file is not well-formed XML (${describeCause(cause)})`,
      cause,
    );
  }
  if (!isObject(document)) throw reportError(report, 'the XML file has no root element');
  const { kind, node } = rootOf(document, report);
  if (kind === 'testsuites') collectSuite(node, [], out, report, limits);
  else {
    const name = attr(node, 'name');
    collectSuite(node, name === undefined || name === '' ? [] : [name], out, report, limits);
  }
  // Every <testcase> must be one whose outcome was read: none may hide in another element.
  const read = out.count - before;
  if (read !== shape.counted) {
    throw reportError(
      report,
      `${shape.counted - read} <testcase> element(s) sit outside a <testsuite> (or inside another element): their outcome cannot be read`,
    );
  }
}

/** Reads JUnit files into one run; any unusable file throws REPORT_INVALID naming it. */
export function parseJUnit(
  reports: readonly Report[],
  limits: ReportLimits = REPORT_LIMITS,
): JUnitRun {
  checkReportCount(reports, 'JUnit', limits);
  const out: Collector = { passed: [], warned: [], failed: [], count: 0 };
  for (const report of reports) {
    const before = out.count;
    readOne(report, out, limits);
    if (out.count === before) {
      throw reportError(
        report,
        'the JUnit file holds no <testcase>: a report of no tests proves nothing — point to the one the test run wrote',
      );
    }
  }
  return {
    passed: out.passed,
    warned: out.warned,
    failed: out.failed,
    reports: reports.map((r) => reportDescriptor(r, JUNIT_MEDIA_TYPE)),
  };
}

/** The test-result statement of a run: FAILED if any test failed, WARNED if any warned, else PASSED. */
export function testResultStatement(
  subjects: readonly ResourceDescriptor[],
  run: JUnitRun,
  options: TestResultOptions = {},
): Statement {
  const result = run.failed.length > 0 ? 'FAILED' : run.warned.length > 0 ? 'WARNED' : 'PASSED';
  return {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: TEST_RESULT_V01,
    predicate: {
      result,
      configuration: options.configuration ?? [],
      ...(options.url === undefined ? {} : { url: options.url }),
      passedTests: run.passed,
      warnedTests: run.warned,
      failedTests: run.failed,
      // Extension field (in-toto parsing rules): the JUnit files this predicate was read from.
      sathosReports: run.reports,
    },
  };
}

/** JUnit files → one test-result statement about `subjects`. */
export function testResultFromJUnit(
  subjects: readonly ResourceDescriptor[],
  reports: readonly Report[],
  options: TestResultOptions = {},
): Statement {
  return testResultStatement(subjects, parseJUnit(reports), options);
}
