import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SathosError } from '../../errors.js';
import {
  MAX_BUNDLE_WITNESSES,
  MAX_JSON_DEPTH,
  bundleFromDocument,
  parseBundleText,
} from './bundle-input.js';

function rejectsWith(code: string, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof SathosError && e.code === code);
}

void describe('bundle input', () => {
  void describe('when the text is one pretty-printed JSON bundle', () => {
    void it('is one document', () => {
      const docs = parseBundleText('{\n  "mediaType": "x"\n}\n', 'b.json');
      assert.equal(docs.length, 1);
      assert.equal(docs[0]?.where, 'b.json');
    });
  });
  void describe('when the text is JSON Lines', () => {
    void it('is one document per non-empty line, named by line', () => {
      const docs = parseBundleText('{"a":1}\n\n{"b":2}\n', 'c.jsonl');
      assert.deepEqual(
        docs.map((d) => d.where),
        ['c.jsonl line 1', 'c.jsonl line 3'],
      );
    });
    void it('rejects a bad line as MALFORMED_BUNDLE', () => {
      rejectsWith('MALFORMED_BUNDLE', () => parseBundleText('{"a":1}\n{"b":\n', 'c.jsonl'));
    });
  });
  void describe('when the text is hostile', () => {
    void it('rejects deep nesting', () => {
      const deep = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
      rejectsWith('MALFORMED_BUNDLE', () => parseBundleText(deep, 'd'));
    });
    void it('rejects an empty file', () => {
      rejectsWith('MALFORMED_BUNDLE', () => parseBundleText('\n \n', 'e'));
    });
  });
  void describe('when a document is not a supported bundle', () => {
    void it('rejects an unknown media type as UNSUPPORTED_BUNDLE', () => {
      rejectsWith('UNSUPPORTED_BUNDLE', () =>
        bundleFromDocument({ mediaType: 'application/vnd.dev.sigstore.bundle.v9.9+json' }),
      );
    });
    void it('rejects a missing media type as MALFORMED_BUNDLE', () => {
      rejectsWith('MALFORMED_BUNDLE', () => bundleFromDocument({}));
    });
    void it('rejects a DSSE envelope with two signatures', () => {
      const bundle = {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        dsseEnvelope: {
          payload: 'e30=',
          payloadType: 't',
          signatures: [{ sig: 'AA==' }, { sig: 'AA==' }],
        },
      };
      assert.throws(() => bundleFromDocument(bundle), /2 signatures/);
    });
    void it('rejects a bundle missing its verification material', () => {
      const bundle = {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        dsseEnvelope: { payload: 'e30=', payloadType: 't', signatures: [{ sig: 'AA==' }] },
      };
      rejectsWith('MALFORMED_BUNDLE', () => bundleFromDocument(bundle));
    });
  });
  void describe('when a bundle carries more witnesses than a signer makes', () => {
    const base = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      dsseEnvelope: { payload: 'e30=', payloadType: 't', signatures: [{ sig: 'AA==' }] },
    };
    // sigstore-js compares every pair of entries before checking one: 4,000 cost 40 s.
    const entry = (i: number): unknown => ({
      logIndex: String(i),
      logId: { keyId: 'AAAA' },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(1_700_000_000 + i),
      inclusionPromise: { signedEntryTimestamp: 'AAAA' },
      canonicalizedBody: 'AAAA',
    });
    void it('rejects more transparency-log entries than the limit as TOO_LARGE', () => {
      const entries = Array.from({ length: MAX_BUNDLE_WITNESSES + 1 }, (_, i) => entry(i));
      const bundle = {
        ...base,
        verificationMaterial: { publicKey: { hint: 'k' }, tlogEntries: entries },
      };
      assert.throws(
        () => bundleFromDocument(bundle, 'padded.json'),
        (e: unknown) =>
          e instanceof SathosError &&
          e.code === 'TOO_LARGE' &&
          /17 transparency-log entries; at most 16/.test(e.message),
      );
    });
    void it('rejects more RFC 3161 timestamps than the limit as TOO_LARGE', () => {
      const stamps = Array.from({ length: MAX_BUNDLE_WITNESSES + 1 }, () => ({
        signedTimestamp: 'MAA=',
      }));
      const bundle = {
        ...base,
        verificationMaterial: {
          publicKey: { hint: 'k' },
          tlogEntries: [],
          timestampVerificationData: { rfc3161Timestamps: stamps },
        },
      };
      rejectsWith('TOO_LARGE', () => bundleFromDocument(bundle));
    });
    void it('names a few of many bad fields, not every one', () => {
      const entries = Array.from({ length: MAX_BUNDLE_WITNESSES }, (_, i) => entry(i));
      const bundle = {
        ...base,
        verificationMaterial: { publicKey: { hint: 'k' }, tlogEntries: entries },
      };
      assert.throws(
        () => bundleFromDocument(bundle),
        (e: unknown) =>
          e instanceof SathosError &&
          e.code === 'MALFORMED_BUNDLE' &&
          / and 11 more$/.test(e.message),
      );
    });
  });
});
