// Real reports (node --test's JUnit, sathos posture's SARIF and a hand-written two-tool SARIF that
// the SARIF schema accepts, npm sbom's SPDX and CycloneDX) read into statements that the published
// schemas — and, for in-toto's predicates without one, schemas written from their spec — accept.
// Each check is shown able to fail: a schema refuses the statement once one field is broken.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evidenceCounts,
  parseJUnit,
  parseSarif,
  sbomStatement,
  testResultFromJUnit,
  vulnsFromSarif,
  type Statement,
} from '@sathos/core';
import { check, fixture, SCHEMAS } from './schemas.js';

const SUBJECT = [{ name: 'dist/app.tar', digest: { sha256: 'ab'.repeat(32) } }];
const SCAN_TIME = new Date('2026-12-01T00:00:00Z');

function json(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(bytes));
}

function assertStatement(statement: Statement, predicateSchema = SCHEMAS.statement): void {
  assert.equal(check(SCHEMAS.statement, statement), undefined);
  assert.equal(check(predicateSchema, statement.predicate), undefined);
}

void describe('JUnit from node --test → test-result v0.1', () => {
  void it('reads every outcome of a real failing run', () => {
    const run = parseJUnit([fixture('failing-suite.junit.xml')]);
    assert.deepEqual(run.passed, [
      'test/top level passes',
      'digest/hashes bytes',
      'digest/nested/deep case',
    ]);
    assert.deepEqual(run.warned, ['digest/nested/skipped case', 'digest/nested/todo case']);
    assert.equal(run.failed.length, 2);
    assert.ok(run.failed.includes('test/top level throws'));
  });

  void it('gives statements the test-result schema accepts, and that it refuses once broken', () => {
    const failing = testResultFromJUnit(SUBJECT, [fixture('failing-suite.junit.xml')]);
    const passing = testResultFromJUnit(SUBJECT, [fixture('node-test-digest.junit.xml')], {
      url: 'https://github.com/acme/app/actions/runs/1',
    });
    assertStatement(failing, SCHEMAS.testResult);
    assertStatement(passing, SCHEMAS.testResult);
    assert.equal((failing.predicate as { result: string }).result, 'FAILED');
    assert.equal((passing.predicate as { result: string }).result, 'PASSED');
    const broken = { ...(passing.predicate as object), result: 'OK' };
    assert.match(check(SCHEMAS.testResult, broken) ?? '', /result/);
    const noConfig = { ...(passing.predicate as object), configuration: undefined };
    assert.match(
      check(SCHEMAS.testResult, JSON.parse(JSON.stringify(noConfig))) ?? '',
      /configuration/,
    );
  });
});

void describe('SARIF → vulns v0.2', () => {
  void it('the SARIF fixtures are SARIF 2.1.0 as the OASIS schema defines it', () => {
    for (const name of ['posture-nx-shaped.sarif', 'two-tools.sarif']) {
      assert.equal(check(SCHEMAS.sarif, json(fixture(name).bytes)), undefined, name);
    }
    assert.match(check(SCHEMAS.sarif, { version: '2.1.0', runs: [{}] }) ?? '', /tool/);
  });

  void it('reads sathos posture SARIF: its critical, high and medium findings', () => {
    const scan = parseSarif([fixture('posture-nx-shaped.sarif')]);
    const severities = scan.findings.map((f) => `${f.id}=${f.severity[0]?.score ?? ''}`).sort();
    assert.deepEqual(severities, [
      'expression-injection=high',
      'persist-credentials=medium',
      'token-workflow-write=medium',
      'untrusted-checkout=critical',
    ]);
  });

  void it('gives statements the vulns schema accepts, and that it refuses once broken', () => {
    const statement = vulnsFromSarif(
      SUBJECT,
      [fixture('two-tools.sarif'), fixture('posture-nx-shaped.sarif')],
      { time: SCAN_TIME },
    );
    assertStatement(statement, SCHEMAS.vulns);
    const p = statement.predicate as { scanner: { result: unknown[] }; metadata: object };
    assert.equal(p.scanner.result.length, 8);
    assert.deepEqual(p.metadata, {
      scanStartedOn: '2026-11-30T10:00:00.000Z',
      scanFinishedOn: '2026-11-30T10:00:42.000Z',
    });
    assert.deepEqual(evidenceCounts([statement]).findings, {
      critical: 2,
      high: 3,
      medium: 2,
      low: 1,
      none: 0,
      unknown: 0,
      suppressed: 1,
      total: 8,
    });
    const broken = { ...p, metadata: { scanStartedOn: 'yesterday' } };
    assert.match(check(SCHEMAS.vulns, broken) ?? '', /scanStartedOn|scanFinishedOn/);
  });
});

void describe('SBOMs from npm sbom → their in-toto predicate types', () => {
  void it('SPDX 2.3: https://spdx.dev/Document/v2.3, a predicate the SPDX 2.3 schema accepts', () => {
    const statement = sbomStatement(SUBJECT, fixture('npm-sbom-core.spdx.json'));
    assert.equal(statement.predicateType, 'https://spdx.dev/Document/v2.3');
    assertStatement(statement, SCHEMAS.spdx23);
    const broken = { ...(statement.predicate as object), packages: 'none' };
    assert.match(check(SCHEMAS.spdx23, broken) ?? '', /packages/);
  });

  void it('CycloneDX 1.5: https://cyclonedx.org/bom, a predicate the CycloneDX 1.5 schema accepts', () => {
    const statement = sbomStatement(SUBJECT, fixture('npm-sbom-core.cdx.json'));
    assert.equal(statement.predicateType, 'https://cyclonedx.org/bom');
    assertStatement(statement, SCHEMAS.cyclonedx15);
    const broken = { ...(statement.predicate as object), components: [{ name: 'x' }] };
    assert.match(check(SCHEMAS.cyclonedx15, broken) ?? '', /type/);
  });

  void it('the CycloneDX 1.6 schema is loaded and judges a minimal 1.6 BOM', () => {
    const bom = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] };
    assert.equal(check(SCHEMAS.cyclonedx16, bom), undefined);
    assert.equal(
      sbomStatement(SUBJECT, {
        name: 'b.json',
        bytes: new TextEncoder().encode(JSON.stringify(bom)),
      }).predicateType,
      'https://cyclonedx.org/bom',
    );
    assert.match(check(SCHEMAS.cyclonedx16, { ...bom, bomFormat: 'SPDX' }) ?? '', /bomFormat/);
  });
});
