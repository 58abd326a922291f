import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestSetNames, digestsOf, hashBytes, parseDigest } from './digest.js';

const bytes = Buffer.from('the artifact');
const sha256 = hashBytes('sha256', bytes);
const sha1 = hashBytes('sha1', bytes);

describe('digestSetNames', () => {
  it('binds a subject that names the artifact by sha256', () => {
    assert.equal(digestSetNames({ sha256 }, digestsOf(bytes)), true);
  });

  describe('when the subject does not name this artifact', () => {
    it('refuses a set whose sha1 agrees but whose sha256 does not (a collision twin)', () => {
      assert.equal(digestSetNames({ sha256: 'f'.repeat(64), sha1 }, digestsOf(bytes)), false);
    });

    it('refuses a set that names the artifact by sha1 alone when its bytes are known', () => {
      assert.equal(digestSetNames({ sha1 }, digestsOf(bytes)), false);
    });

    it('refuses a set that shares no algorithm with the digests given', () => {
      assert.equal(digestSetNames({ gitCommit: sha1 }, digestsOf(bytes)), false);
    });
  });

  it('binds by sha1 when the caller named only a sha1 (a git commit id)', () => {
    const digest = parseDigest(`sha1:${sha1}`);
    assert.ok(digest !== undefined);
    assert.equal(digestSetNames({ sha1, sha256: 'f'.repeat(64) }, [digest]), true);
  });
});
