// Thresholds on evidence decide a step before it signs: a JUnit report with failures and a SARIF
// report with a critical finding are denied under a policy that says so and allowed under a
// permissive one, reading the statements the report readers make (docs/policy.md § Evidence).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testResultFromJUnit } from '../../attestation/evidence/reports/junit.js';
import { REPORT_LIMITS } from '../../attestation/evidence/reports/report.js';
import { vulnsFromSarif } from '../../attestation/evidence/reports/sarif.js';
import { sbomStatement } from '../../attestation/evidence/reports/sbom.js';
import type { Statement } from '../../attestation/record/statement.js';
import { parsePolicy } from '../document/document.js';
import { decideStep } from './decide-step.js';

const KEY_ID = `sha256:${'c'.repeat(64)}`;
const RUN = {
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};
const SUBJECTS = [{ name: 'app.tar', digest: { sha256: 'b'.repeat(64) } }];

function policy(rules: string) {
  return parsePolicy(
    `apiVersion: sathos.dev/v1
kind: Policy
stages: [test, scan]
identities:
  test: [{ keyId: "${KEY_ID}" }]
  scan: [{ keyId: "${KEY_ID}" }]
rules:
${rules}`,
    'policy.yaml',
  );
}

const STRICT = policy(`  - id: at-most-one-failed-test
    stage: test
    expression: 'evidence.tests.failed <= 1'
    message: at most one test may fail
  - id: no-critical-or-high
    stage: scan
    expression: 'evidence.findings.critical == 0 && evidence.findings.high == 0'
    message: no critical or high finding
`);
const PERMISSIVE = policy(`  - id: at-most-ten-failed-tests
    stage: test
    expression: 'evidence.tests.failed <= 10'
    message: at most ten tests may fail
  - id: at-most-five-critical
    stage: scan
    expression: 'evidence.findings.critical <= 5'
    message: at most five critical findings
`);

const bytes = (text: string) => new TextEncoder().encode(text);
const JUNIT = bytes(`<testsuite name="cart">
  <testcase name="adds"/>
  <testcase name="removes"><failure message="expected 1"/></testcase>
  <testcase name="totals"><error type="TypeError"/></testcase>
</testsuite>`);
const SARIF = bytes(
  JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'deps',
            rules: [{ id: 'CVE-2021-44228', properties: { 'security-severity': '10.0' } }],
          },
        },
        results: [{ ruleId: 'CVE-2021-44228', message: { text: 'log4j-core 2.14.1' } }],
      },
    ],
  }),
);
const TIME = new Date('2026-12-01T00:00:00Z');

function decide(stage: string, evidence: readonly Statement[], p = STRICT) {
  return decideStep({
    policy: p,
    chain: [],
    stage,
    run: RUN,
    identity: { kind: 'key', keyId: KEY_ID },
    subjects: SUBJECTS,
    evidence,
  });
}

const failed = (d: ReturnType<typeof decide>) =>
  d.results.filter((r) => !r.passed).map((r) => r.id);

void describe('evidence thresholds', () => {
  const tests = testResultFromJUnit(SUBJECTS, [{ name: 'junit.xml', bytes: JUNIT }]);
  const scan = vulnsFromSarif(SUBJECTS, [{ name: 'scan.sarif', bytes: SARIF }], { time: TIME });

  void it('denies a test step with two failed tests under "at most one"; allows it under ten', () => {
    const strict = decide('test', [tests]);
    assert.equal(strict.allowed, false);
    assert.deepEqual(failed(strict), ['at-most-one-failed-test']);
    assert.equal(decide('test', [tests], PERMISSIVE).allowed, true);
  });

  void it('denies a scan step with a critical finding; allows it under a permissive policy', () => {
    const strict = decide('scan', [scan]);
    assert.equal(strict.allowed, false);
    assert.deepEqual(failed(strict), ['no-critical-or-high']);
    assert.equal(decide('scan', [scan], PERMISSIVE).allowed, true);
  });

  void it('allows a clean run under the strict policy', () => {
    const clean = testResultFromJUnit(SUBJECTS, [
      { name: 'ok.xml', bytes: bytes('<testsuite name="s"><testcase name="a"/></testsuite>') },
    ]);
    assert.equal(decide('test', [clean]).allowed, true);
  });

  void it('denies a step that carries no report to count (the rule cannot read its field)', () => {
    const none = decide('scan', []);
    assert.equal(none.allowed, false);
    assert.deepEqual(failed(none), ['no-critical-or-high']);
    assert.equal(decide('test', [scan]).allowed, false);
  });

  void it('counts every statement of a type: a failing one after a passing one is not hidden', () => {
    const passing = testResultFromJUnit(SUBJECTS, [
      { name: 'ok.xml', bytes: bytes('<testsuite name="s"><testcase name="a"/></testsuite>') },
    ]);
    const p = policy(`  - id: all-passed
    stage: test
    expression: "evidence.tests.result == 'PASSED'"
    message: every test report passed
`);
    assert.equal(decide('test', [passing, tests], p).allowed, false);
    const first = policy(`  - id: first-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the first test report passed
`);
    // `evidence.testResult` is the first statement only: why thresholds read `evidence.tests`.
    assert.equal(decide('test', [passing, tests], first).allowed, true);
  });

  void it('decides reports at the limits of the readers: every report they accept can be decided', () => {
    const cases = Array.from({ length: REPORT_LIMITS.maxTests }, (_, i) =>
      i === 0 ? '<testcase name="t0"><failure/></testcase>' : `<testcase name="t${i}"/>`,
    );
    const junit = bytes(`<testsuite name="big">${cases.join('')}</testsuite>`);
    const big = testResultFromJUnit(SUBJECTS, [{ name: 'big.xml', bytes: junit }]);
    assert.equal(decide('test', [big]).allowed, true);
    // An SBOM just under its value limit (each component: the object and its 2 fields). The
    // limits are each report's: a step carrying several shares the policy input's 500,000 values.
    const components = Array.from({ length: (REPORT_LIMITS.maxSbomValues - 10) / 3 }, (_, i) => ({
      type: 'library',
      name: `c${i}`,
    }));
    const bom = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components };
    const sbom = sbomStatement(SUBJECTS, { name: 'bom.json', bytes: bytes(JSON.stringify(bom)) });
    const one = testResultFromJUnit(SUBJECTS, [
      { name: 'ok.xml', bytes: bytes('<testsuite name="s"><testcase name="a"/></testsuite>') },
    ]);
    assert.equal(decide('test', [sbom, one]).allowed, true);
    const results = Array.from({ length: REPORT_LIMITS.maxFindings }, (_, i) => ({
      ruleId: `R${i % 50}`,
      message: { text: `finding ${i}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: `src/f${i}.ts` },
            region: { startLine: i + 1 },
          },
        },
      ],
      suppressions: [{ kind: 'inSource' }],
    }));
    const sarif = bytes(
      JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'lint' } }, results }] }),
    );
    const many = vulnsFromSarif(SUBJECTS, [{ name: 'many.sarif', bytes: sarif }], { time: TIME });
    const decision = decide('scan', [many]);
    assert.deepEqual(
      decision.results.map((r) => [r.id, r.passed, r.error]),
      [['no-critical-or-high', true, undefined]],
    );
  });
});
