import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GITHUB_SERVICES,
  PUBLIC_GOOD_SERVICES,
  readVisibility,
  resolveSigning,
  visibilityOf,
} from './signing-instance.js';

void describe('visibilityOf', () => {
  void it('reads repository.visibility, else repository.private, else unknown', () => {
    assert.equal(
      visibilityOf({ repository: { visibility: 'internal', private: true } }),
      'internal',
    );
    assert.equal(visibilityOf({ repository: { private: true } }), 'private');
    assert.equal(visibilityOf({ repository: { private: false } }), 'public');
    assert.equal(visibilityOf({ repository: { visibility: 'PUBLIC' } }), 'unknown');
    assert.equal(visibilityOf({}), 'unknown');
    assert.equal(visibilityOf(null), 'unknown');
  });

  void it('reads the payload file, and names it when it is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sathos-visibility-'));
    try {
      const good = join(dir, 'event.json');
      writeFileSync(good, JSON.stringify({ repository: { visibility: 'public' } }));
      assert.equal(await readVisibility(good), 'public');
      assert.equal(await readVisibility(undefined), 'unknown');
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{');
      await assert.rejects(readVisibility(bad), /event payload is not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('resolveSigning', () => {
  void it('signs a public repository with public-good: Fulcio and the public log', () => {
    const resolved = resolveSigning({ kind: 'keyless' }, 'public');
    assert.equal(resolved.instance, 'public-good');
    assert.deepEqual(resolved.choice, { kind: 'keyless', ...PUBLIC_GOOD_SERVICES });
  });

  for (const visibility of ['private', 'internal', 'unknown'] as const) {
    void it(`keeps a ${visibility} repository out of the public log: GitHub's instance, TSA only`, () => {
      const resolved = resolveSigning({ kind: 'keyless' }, visibility);
      assert.equal(resolved.instance, 'github');
      assert.deepEqual(resolved.choice, { kind: 'keyless', ...GITHUB_SERVICES });
      assert.equal('rekorURL' in resolved.choice, false);
    });
  }

  void it('refuses a Rekor URL for a private repository rather than publish its names', () => {
    assert.throws(
      () => resolveSigning({ kind: 'keyless', rekorURL: 'https://rekor.sigstore.dev' }, 'private'),
      /never written to a transparency log/,
    );
  });

  void it("uses GitHub's instance when asked, whatever the visibility, with overridden URLs", () => {
    const resolved = resolveSigning(
      { kind: 'keyless-github', fulcioURL: 'http://127.0.0.1:1', tsaURL: 'http://127.0.0.1:2' },
      'public',
    );
    assert.deepEqual(resolved.choice, {
      kind: 'keyless',
      fulcioURL: 'http://127.0.0.1:1',
      tsaURL: 'http://127.0.0.1:2',
    });
  });

  void it('needs the key for signing: key, and refuses a key beside keyless', () => {
    assert.throws(() => resolveSigning({ kind: 'key' }, 'public'), /"signing-key" is empty/);
    assert.throws(
      () => resolveSigning({ kind: 'keyless', privateKeyPem: 'pem' }, 'public'),
      /set signing: key/,
    );
    assert.equal(resolveSigning({ kind: 'key', privateKeyPem: 'pem' }, 'private').instance, 'key');
  });
});
