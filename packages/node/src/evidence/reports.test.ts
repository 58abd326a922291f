import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPORT_LIMITS, SathosError } from '@sathos/core';
import { readReportEvidence } from './reports.js';

const PART = [{ name: 'dist/app.tgz', digest: { sha256: 'a'.repeat(64) } }];
const JUNIT =
  '<testsuites><testsuite name="s"><testcase classname="c" name="ok"/><testcase classname="c" name="bad"><failure message="no"/></testcase></testsuite></testsuites>';

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sathos-reports-'));
  await mkdir(join(dir, 'reports'));
  return dir;
}

function isError(code: string, where: string) {
  return (error: unknown) =>
    error instanceof SathosError && error.code === code && error.where === where;
}

void describe('readReportEvidence', () => {
  void it('reads reports relative to the base and names them as the step named them', async () => {
    const base = await workspace();
    await writeFile(join(base, 'reports/junit.xml'), JUNIT);
    const build = await readReportEvidence(
      { junit: ['reports/junit.xml'], base },
      { scannedOn: new Date(0), testRunUrl: 'https://example.invalid/run/1' },
    );
    const statements = build(PART);
    assert.equal(statements.length, 1);
    const statement = statements[0];
    assert.ok(statement !== undefined);
    assert.equal(statement.predicateType, 'https://in-toto.io/attestation/test-result/v0.1');
    const predicate = statement.predicate as { result: string; failedTests: string[] };
    assert.equal(predicate.result, 'FAILED', 'the failing test case is not hidden');
    assert.equal(
      JSON.stringify(statement).includes(base),
      false,
      'no path of this machine is signed',
    );
  });

  void it('refuses a missing report as FILE_UNREADABLE naming the file', async () => {
    const base = await workspace();
    await assert.rejects(
      readReportEvidence({ sarif: ['reports/absent.sarif'], base }, { scannedOn: new Date(0) }),
      isError('FILE_UNREADABLE', join(base, 'reports/absent.sarif')),
    );
  });

  void it('refuses an oversized report as REPORT_INVALID before parsing it', async () => {
    const base = await workspace();
    const file = join(base, 'reports/big.xml');
    await writeFile(file, Buffer.alloc(REPORT_LIMITS.maxReportBytes + 1, 0x20));
    await assert.rejects(
      readReportEvidence({ junit: ['reports/big.xml'], base }, { scannedOn: new Date(0) }),
      isError('REPORT_INVALID', file),
    );
  });

  void it('builds nothing when the step names no report', async () => {
    const build = await readReportEvidence({}, { scannedOn: new Date(0) });
    assert.deepEqual(build(PART), []);
  });
});
