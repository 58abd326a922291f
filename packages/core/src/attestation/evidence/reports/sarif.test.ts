// SARIF 2.1.0 → vulns v0.2: severities read as GitHub reads them, several runs and files merged,
// the SARIF kept by digest, and a log that is not a finished SARIF 2.1.0 scan refused by name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from '../../../digest.js';
import { SathosError } from '../../../errors.js';
import { VULNS_V02 } from '../predicates.js';
import { REPORT_LIMITS } from './report.js';
import { parseSarif, vulnsFromSarif } from './sarif.js';

const SUBJECT = [{ name: 'app.tar', digest: { sha256: 'a'.repeat(64) } }];
const json = (value: unknown, name = 'scan.sarif') => ({
  name,
  bytes: new TextEncoder().encode(JSON.stringify(value)),
});

const run = (name: string, rules: unknown[], results: unknown[], extra: object = {}) => ({
  tool: { driver: { name, rules } },
  results,
  ...extra,
});

const SCAN = {
  version: '2.1.0',
  runs: [
    run(
      'deps',
      [
        { id: 'CVE-1', properties: { 'security-severity': '9.8' } },
        { id: 'CVE-2', properties: { 'security-severity': '7.0' } },
        { id: 'CVE-3', properties: { 'security-severity': '0.0' } },
      ],
      [
        { ruleId: 'CVE-1', message: { text: 'critical one' } },
        { ruleIndex: 1, message: { text: 'found by index' } },
        { ruleId: 'CVE-3', properties: { 'security-severity': '4.2' }, message: { text: 'x' } },
      ],
      {
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: '2026-01-01T00:00:05Z',
            endTimeUtc: '2026-01-01T00:01:00Z',
          },
        ],
      },
    ),
    run(
      'lint',
      [{ id: 'no-eval', defaultConfiguration: { level: 'error' } }],
      [
        { ruleId: 'no-eval', message: { text: 'eval' } },
        {
          ruleId: 'other',
          level: 'note',
          message: { text: 'n' },
          suppressions: [{ kind: 'inSource' }],
        },
        { ruleId: 'no-rule', message: { text: 'w' } },
        { ruleId: 'no-eval', kind: 'pass', message: { text: 'passed' } },
      ],
    ),
  ],
};

type Entry = { id: string; severity: { method: string; score: string }[]; annotations: object[] };

function rejects(value: unknown, pattern: RegExp, limits = REPORT_LIMITS): void {
  const bytes =
    value instanceof Uint8Array
      ? value
      : new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
  assert.throws(
    () => parseSarif([{ name: 'bad.sarif', bytes }], limits),
    (e: unknown) =>
      e instanceof SathosError &&
      e.code === 'REPORT_INVALID' &&
      e.where === 'bad.sarif' &&
      pattern.test(e.message),
  );
}

void describe('vulnsFromSarif', () => {
  void it('scores each result: security-severity as GitHub maps it, else the level', () => {
    const statement = vulnsFromSarif(SUBJECT, [json(SCAN)]);
    assert.equal(statement.predicateType, VULNS_V02);
    const result = (statement.predicate as { scanner: { result: Entry[] } }).scanner.result;
    assert.deepEqual(
      result.map((r) => [r.id, r.severity.map((s) => `${s.method}=${s.score}`).join(' ')]),
      [
        ['CVE-1', 'severity=critical security-severity=9.8'],
        ['CVE-2', 'severity=high security-severity=7.0'],
        ['CVE-3', 'severity=medium security-severity=4.2'],
        ['no-eval', 'severity=high sarif-level=error'],
        ['other', 'severity=low sarif-level=note'],
        ['no-rule', 'severity=medium sarif-level=warning'],
      ],
    );
    assert.deepEqual(result[4]?.annotations, [{ tool: 'lint', message: 'n', suppressed: true }]);
  });

  void it('never lets a result score itself below its rule: the worse of the two scores counts', () => {
    // A result carrying its own low security-severity must not turn its rule's critical into a low.
    const log = {
      version: '2.1.0',
      runs: [
        run(
          'deps',
          [{ id: 'CVE-9', properties: { 'security-severity': '9.8' } }],
          [{ ruleId: 'CVE-9', properties: { 'security-severity': '0.1' }, message: { text: 'x' } }],
          { invocations: [{ executionSuccessful: true, startTimeUtc: '2026-01-01T00:00:05Z' }] },
        ),
      ],
    };
    const statement = vulnsFromSarif(SUBJECT, [json(log)]);
    const [entry] = (statement.predicate as { scanner: { result: Entry[] } }).scanner.result;
    assert.deepEqual(entry?.severity, [
      { method: 'severity', score: 'critical' },
      { method: 'security-severity', score: '9.8' },
    ]);
  });

  void it('takes the scanner, times and files from the SARIF', () => {
    const file = json(SCAN, 'reports/scan.sarif');
    const p = vulnsFromSarif(SUBJECT, [file]).predicate as Record<string, unknown>;
    assert.deepEqual(p.scanner && { ...p.scanner, result: undefined }, {
      uri: 'pkg:generic/deps',
      result: undefined,
    });
    assert.deepEqual(p.metadata, {
      scanStartedOn: '2026-01-01T00:00:05.000Z',
      scanFinishedOn: '2026-01-01T00:01:00.000Z',
    });
    assert.deepEqual(p.sathosScanners, [
      { name: 'deps', uri: 'pkg:generic/deps' },
      { name: 'lint', uri: 'pkg:generic/lint' },
    ]);
    assert.deepEqual(p.sathosReports, [
      {
        name: 'reports/scan.sarif',
        digest: { sha256: sha256Hex(file.bytes) },
        mediaType: 'application/sarif+json',
      },
    ]);
  });

  void it('needs the scan time when no invocation records it', () => {
    const untimed = { version: '2.1.0', runs: [run('lint', [], [])] };
    assert.throws(
      () => vulnsFromSarif(SUBJECT, [json(untimed, 'lint.sarif')]),
      (e: unknown) =>
        e instanceof SathosError && e.where === 'lint.sarif' && /pass the time/.test(e.message),
    );
    const time = new Date('2026-02-02T02:02:02Z');
    const p = vulnsFromSarif(SUBJECT, [json(untimed)], { time }).predicate as { metadata: object };
    assert.deepEqual(p.metadata, {
      scanStartedOn: time.toISOString(),
      scanFinishedOn: time.toISOString(),
    });
  });

  void it('merges several files: every finding, the earliest start, the latest end', () => {
    const later = {
      version: '2.1.0',
      runs: [
        run('deps', [], [{ ruleId: 'CVE-9', level: 'error', message: { text: 'x' } }], {
          invocations: [
            { startTimeUtc: '2026-01-01T00:00:00Z', endTimeUtc: '2026-01-02T00:00:00Z' },
          ],
        }),
      ],
    };
    const scan = parseSarif([json(SCAN, 'a.sarif'), json(later, 'b.sarif')]);
    assert.equal(scan.findings.length, 7);
    assert.equal(scan.startedOn?.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(scan.finishedOn?.toISOString(), '2026-01-02T00:00:00.000Z');
    assert.deepEqual(
      scan.reports.map((r) => r.name),
      ['a.sarif', 'b.sarif'],
    );
  });
});

void describe('parseSarif refuses what is not a finished SARIF 2.1.0 scan, naming the file', () => {
  void it('refuses other versions, no runs, a run without results, a failed execution', () => {
    rejects({ version: '2.0.0', runs: [] }, /version is "2.0.0": only SARIF 2.1.0/);
    rejects({ runs: [] }, /version is missing/);
    rejects({ version: '2.1.0', runs: [] }, /holds no runs/);
    rejects({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } } }] }, /no results list/);
    rejects({ version: '2.1.0', runs: [{ tool: {}, results: [] }] }, /tool.driver.name is missing/);
    rejects(
      {
        version: '2.1.0',
        runs: [run('x', [], [], { invocations: [{ executionSuccessful: false }] })],
      },
      /failed execution/,
    );
    rejects({ version: '2.1.0', runs: [run('x', [], [7])] }, /result that is not an object/);
    rejects([1, 2], /not a JSON object/);
  });

  void it('refuses truncated, malformed, non-UTF-8, deep and oversized files', () => {
    const text = JSON.stringify(SCAN);
    rejects(text.slice(0, text.length / 2), /truncated JSON/);
    rejects('{"version": 2.1.0}', /malformed JSON/);
    rejects(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), /not UTF-8/);
    rejects(`${'['.repeat(5000)}${']'.repeat(5000)}`, /nests deeper than 64/);
    // Refused by depth before parsing (which would call it truncated only after walking it all),
    // and brackets inside strings are not nesting.
    rejects('['.repeat(1_000_000), /nests deeper than 64/);
    rejects(`{"version": "${'['.repeat(100)}"`, /truncated JSON/);
    rejects(text, /more than the 100 allowed/, { ...REPORT_LIMITS, maxReportBytes: 100 });
    rejects(SCAN, /more than 2 results/, { ...REPORT_LIMITS, maxFindings: 2 });
  });

  void it('reads an unreadable score as unknown, never as none', () => {
    const odd = {
      version: '2.1.0',
      runs: [
        run(
          'x',
          [],
          [
            {
              ruleId: 'r',
              properties: { 'security-severity': 'high-ish' },
              message: { text: 'm' },
            },
          ],
        ),
      ],
    };
    const [finding] = parseSarif([json(odd)]).findings;
    assert.deepEqual(finding?.severity[0], { method: 'severity', score: 'unknown' });
  });
});
