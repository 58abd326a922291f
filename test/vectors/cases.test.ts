// Every case of the real-world Sigstore vectors (test/fixtures/vectors/cases.json) through the real
// `verify-bundle` command: ok cases must verify, fail cases must be rejected — never crash.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { trustFromJSON } from '@sathos/core';
import { verifyBundleCommand } from '../../packages/cli/src/commands/verify-bundle.js';
import { caseOptions, loadCases, vectorsDir } from './vector-cases.js';

/** Fail cases whose point is one specific check: they must fail for that reason. */
const EXPECTED_CODES: Readonly<Record<string, string>> = {
  'conformance/trust-root-tlog-missing-validity-start_fail': 'TRUST_ROOT_REJECTED',
  'conformance/bundle-unknown-version_fail': 'UNSUPPORTED_BUNDLE',
  'conformance/bundle-malformed-json_fail': 'MALFORMED_BUNDLE',
  'conformance/bundle-from-wrong-instance_fail': 'CERTIFICATE_INVALID',
  'conformance/message-digest-mismatch_fail': 'SUBJECT_MISMATCH',
  'conformance/managed-key-no-key_fail': 'UNTRUSTED_SIGNER',
  'conformance/managed-key-wrong-key_fail': 'KEY_UNREADABLE',
  'conformance/rekor2-no-timestamp_fail': 'TIMESTAMP_INVALID',
  'conformance/invalid-ct-key_fail': 'CERTIFICATE_INVALID',
  'sigstore-go/dsse-2sigs': 'MALFORMED_BUNDLE',
  'slsa-verifier/bcr-MODULE-wrong-signer': 'IDENTITY_MISMATCH',
};

const dir = vectorsDir();
const cases = loadCases(dir);
const scratch = mkdtempSync(join(tmpdir(), 'sathos-vectors-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

void describe('the shared Sigstore test vectors', () => {
  void it('are all present (120 cases)', () => {
    assert.equal(cases.length, 120);
  });

  cases.forEach((c, index) => {
    void it(`${c.id} → ${c.expect}`, async () => {
      const outcome = await verifyBundleCommand(caseOptions(dir, c, scratch, index));
      const detail = `${String(outcome.json.code)}: ${String(outcome.json.reason)}`;
      assert.notEqual(outcome.json.code, 'INTERNAL_ERROR', detail);
      if (c.expect === 'ok') assert.equal(outcome.exitCode, 0, detail);
      else assert.notEqual(outcome.exitCode, 0, detail);
      const code = EXPECTED_CODES[c.id];
      if (code !== undefined) assert.equal(outcome.json.code, code, detail);
    });
  });

  void describe('when a case names thresholds', () => {
    for (const c of cases.filter((x) => x.thresholds !== undefined)) {
      void it(`${c.id}: the root alone implies them`, () => {
        const trust = trustFromJSON(
          JSON.parse(readFileSync(join(dir, c.trustedRoot), 'utf8')),
          c.id,
        );
        const t = c.thresholds ?? {};
        if (t.tlogThreshold !== undefined) assert.equal(trust.thresholds.tlog, t.tlogThreshold);
        if (t.ctlogThreshold !== undefined) assert.equal(trust.thresholds.ctlog, t.ctlogThreshold);
        if (t.timestampThreshold !== undefined)
          assert.equal(trust.thresholds.timestamp, t.timestampThreshold);
      });
    }
  });
});
