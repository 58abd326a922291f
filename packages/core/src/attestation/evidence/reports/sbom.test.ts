// SBOMs: the kind read from the document and attested under the predicate type actions/attest
// gives it; anything else refused by name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../../../errors.js';
import { REPORT_LIMITS } from './report.js';
import { parseSbom, sbomStatement } from './sbom.js';

const SUBJECT = [{ name: 'app.tar', digest: { sha256: 'a'.repeat(64) } }];
const file = (value: unknown, name = 'sbom.json') => ({
  name,
  bytes: new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)),
});
const SPDX = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages: [] };
const CDX = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] };

function rejects(value: unknown, pattern: RegExp, limits = REPORT_LIMITS): void {
  assert.throws(
    () => parseSbom(file(value, 'bad.json'), limits),
    (e: unknown) =>
      e instanceof SathosError &&
      e.code === 'REPORT_INVALID' &&
      e.where === 'bad.json' &&
      pattern.test(e.message),
  );
}

void describe('sbomStatement', () => {
  void it('attests SPDX 2.x under https://spdx.dev/Document/v2.<minor>, the document untouched', () => {
    const statement = sbomStatement(SUBJECT, file(SPDX));
    assert.equal(statement.predicateType, 'https://spdx.dev/Document/v2.3');
    assert.deepEqual(statement.predicate, SPDX);
    assert.deepEqual(statement.subject, SUBJECT);
    const older = sbomStatement(SUBJECT, file({ ...SPDX, spdxVersion: 'SPDX-2.2' }));
    assert.equal(older.predicateType, 'https://spdx.dev/Document/v2.2');
  });

  void it('attests CycloneDX under https://cyclonedx.org/bom', () => {
    const statement = sbomStatement(SUBJECT, file(CDX));
    assert.equal(statement.predicateType, 'https://cyclonedx.org/bom');
    assert.deepEqual(statement.predicate, CDX);
    assert.equal(parseSbom(file(CDX)).specVersion, '1.6');
  });

  void it('refuses anything else, saying what it expected', () => {
    rejects(
      { '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld', '@graph': [] },
      /SPDX 3/,
    );
    rejects({ ...SPDX, spdxVersion: 'SPDX-3.0' }, /only SPDX 2.x JSON/);
    rejects({ ...SPDX, SPDXID: 'SPDXRef-Package' }, /SPDXRef-DOCUMENT/);
    rejects({ ...CDX, bomFormat: 'SPDX' }, /bomFormat is not "CycloneDX"/);
    rejects({ ...CDX, specVersion: 2 }, /no specVersion 1.x/);
    rejects({ name: 'package.json', version: '1.0.0' }, /neither an SPDX 2.x/);
    rejects([SPDX], /not a JSON object/);
    rejects('{"spdxVersion": "SPDX-2.3", ', /truncated JSON/);
  });

  void it('refuses an SBOM of more values than a policy could read', () => {
    rejects(
      { ...CDX, components: Array.from({ length: 50 }, () => ({})) },
      /more than 40 JSON values/,
      {
        ...REPORT_LIMITS,
        maxSbomValues: 40,
      },
    );
    assert.equal(parseSbom(file(CDX), { ...REPORT_LIMITS, maxSbomValues: 6 }).format, 'cyclonedx');
  });

  void it('refuses an SBOM over 16 MiB, as GitHub does, before parsing it', () => {
    const big = new Uint8Array(REPORT_LIMITS.maxSbomBytes + 1).fill(0x20);
    assert.throws(
      () => parseSbom({ name: 'big.json', bytes: big }),
      (e: unknown) => e instanceof SathosError && /more than the 16777216 allowed/.test(e.message),
    );
  });
});
