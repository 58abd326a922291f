import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SathosError } from '../errors.js';
import { MAX_JSON_DEPTH, bundleFromDocument, parseBundleText } from './bundle-input.js';

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
});
