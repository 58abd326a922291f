import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSathosError } from '../../errors.js';
import publicGoodRoot from './roots/public-good.json' with { type: 'json' };
import { githubTrust, publicGoodTrust, trustFromJSON } from './trusted-root.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isSathosError(error) ? error.code : 'NOT_SATHOS';
  }
  return undefined;
}

function doctored(edit: (root: typeof publicGoodRoot) => void): unknown {
  const root = structuredClone(publicGoodRoot);
  edit(root);
  return root;
}

void describe('trusted roots', () => {
  void describe('when embedded', () => {
    void it('public-good demands a log entry, an SCT and a time', () => {
      assert.deepEqual(publicGoodTrust().thresholds, { tlog: 1, ctlog: 1, timestamp: 1 });
    });
    void it("GitHub's instance has no logs, so it demands a signed timestamp only", () => {
      assert.deepEqual(githubTrust().thresholds, { tlog: 0, ctlog: 0, timestamp: 1 });
    });
  });

  void describe('when a root is flawed', () => {
    void it('rejects a log key window without a start', () => {
      const root = doctored((r) => {
        delete (r.tlogs[0]?.publicKey.validFor as { start?: string }).start;
      });
      assert.equal(
        code(() => trustFromJSON(root, 't')),
        'TRUST_ROOT_REJECTED',
      );
    });
    void it('rejects an undecodable log key', () => {
      const root = doctored((r) => {
        if (r.tlogs[0]) r.tlogs[0].publicKey.rawBytes = 'AAAA';
      });
      assert.equal(
        code(() => trustFromJSON(root, 't')),
        'TRUST_ROOT_REJECTED',
      );
    });
    void it('rejects an unknown media type', () => {
      const root = doctored((r) => {
        r.mediaType = 'application/vnd.dev.sigstore.trustedroot+json;version=9.9';
      });
      assert.equal(
        code(() => trustFromJSON(root, 't')),
        'TRUST_ROOT_REJECTED',
      );
    });
    void it('collects every problem in one error', () => {
      const root = doctored((r) => {
        delete (r.tlogs[0]?.publicKey.validFor as { start?: string }).start;
        if (r.ctlogs[0]) r.ctlogs[0].logId.keyId = '';
      });
      assert.throws(() => trustFromJSON(root, 't'), /tlogs\[0\].*ctlogs\[0\]/);
    });
  });

  void describe('when the input is not a root at all', () => {
    void it('calls it unreadable', () => {
      assert.equal(
        code(() => trustFromJSON({ hello: 1 }, 't')),
        'TRUST_ROOT_UNREADABLE',
      );
      assert.equal(
        code(() => trustFromJSON([], 't')),
        'TRUST_ROOT_UNREADABLE',
      );
    });
  });

  void describe('when a certificate authority has no window start', () => {
    void it('bounds it by its own certificates instead of 1970', () => {
      const root = doctored((r) => {
        const ca = r.certificateAuthorities[1] as { validFor?: unknown };
        ca.validFor = {};
      });
      const trust = trustFromJSON(root, 't');
      const start = trust.root.certificateAuthorities[1]?.validFor?.start;
      assert.ok(start !== undefined && start.getUTCFullYear() >= 2021);
    });
  });

  void describe('when a root has neither logs nor timestamp authorities', () => {
    void it('can demand nothing (only key-signed bundles can verify against it)', () => {
      const empty = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' };
      assert.deepEqual(trustFromJSON(empty, 'empty').thresholds, {
        tlog: 0,
        ctlog: 0,
        timestamp: 0,
      });
    });
  });
});
