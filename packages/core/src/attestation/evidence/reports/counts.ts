// Counts a policy can put thresholds on ("at most 3 failed tests", "no critical or high finding"),
// computed from the evidence statements themselves — every test-result and vulns statement a
// step carries, not only the first — so the step and the chain verifier, which both build the
// policy's `evidence` variable from the same statements, see the same numbers.
import type { Statement } from '../../record/statement.js';
import { TEST_RESULT_V01, VULNS_V02 } from '../predicates.js';
import type { Severity } from './severity.js';
import { severityOfEntries } from './severity.js';

export interface TestCounts {
  /** The worst result of every test-result statement: FAILED, WARNED or PASSED. */
  readonly result: 'PASSED' | 'WARNED' | 'FAILED';
  readonly passed: number;
  readonly warned: number;
  readonly failed: number;
  readonly total: number;
}

export type FindingCounts = Readonly<Record<Severity, number>> & {
  /** Findings the report marks suppressed; they are counted in their severity too. */
  readonly suppressed: number;
  readonly total: number;
};

export interface EvidenceCounts {
  readonly tests?: TestCounts;
  readonly findings?: FindingCounts;
}

const RESULT_RANK = { PASSED: 0, WARNED: 1, FAILED: 2 } as const;

function length(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** A result that is not one of the spec's three reads as FAILED: a count never reads better than the report. */
function resultOf(predicate: Record<string, unknown>): TestCounts['result'] {
  const result = predicate.result;
  const stated = result === 'PASSED' || result === 'WARNED' ? result : 'FAILED';
  if (length(predicate.failedTests) > 0) return 'FAILED';
  if (stated === 'PASSED' && length(predicate.warnedTests) > 0) return 'WARNED';
  return stated;
}

function testCounts(predicates: readonly Record<string, unknown>[]): TestCounts {
  let result: TestCounts['result'] = 'PASSED';
  let passed = 0;
  let warned = 0;
  let failed = 0;
  for (const p of predicates) {
    const r = resultOf(p);
    if (RESULT_RANK[r] > RESULT_RANK[result]) result = r;
    passed += length(p.passedTests);
    warned += length(p.warnedTests);
    failed += length(p.failedTests);
  }
  return { result, passed, warned, failed, total: passed + warned + failed };
}

function isSuppressed(finding: Record<string, unknown>): boolean {
  const annotations = finding.annotations;
  return (
    Array.isArray(annotations) &&
    annotations.some((a) => (a as { suppressed?: unknown } | null)?.suppressed === true)
  );
}

function findingCounts(predicates: readonly Record<string, unknown>[]): FindingCounts {
  const counts = {
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
    none: 0,
    unknown: 0,
    suppressed: 0,
    total: 0,
  };
  for (const p of predicates) {
    const scanner = p.scanner as { result?: unknown } | null | undefined;
    const results = Array.isArray(scanner?.result) ? scanner.result : [];
    for (const entry of results) {
      const finding = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
        string,
        unknown
      >;
      counts[severityOfEntries(finding.severity)] += 1;
      if (isSuppressed(finding)) counts.suppressed += 1;
      counts.total += 1;
    }
  }
  return counts;
}

function predicatesOf(statements: readonly Statement[], type: string): Record<string, unknown>[] {
  return statements
    .filter((s) => s.predicateType === type)
    .map(
      (s) =>
        (typeof s.predicate === 'object' && s.predicate !== null ? s.predicate : {}) as Record<
          string,
          unknown
        >,
    );
}

/** `tests` when the step carries a test result, `findings` when it carries a vulns report. */
export function evidenceCounts(statements: readonly Statement[]): EvidenceCounts {
  const tests = predicatesOf(statements, TEST_RESULT_V01);
  const vulns = predicatesOf(statements, VULNS_V02);
  return {
    ...(tests.length === 0 ? {} : { tests: testCounts(tests) }),
    ...(vulns.length === 0 ? {} : { findings: findingCounts(vulns) }),
  };
}
