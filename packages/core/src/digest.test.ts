import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { digestSetNames, digestsOf, digestsOfStream, hashBytes, parseDigest } from './digest.js';

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

describe('digestsOfStream', () => {
  it('gives the digests of the whole bytes, however they are split', async () => {
    const whole = Buffer.from('x'.repeat(100_000));
    const parts: Uint8Array[] = [];
    for (let i = 0; i < whole.length; i += 4099) parts.push(whole.subarray(i, i + 4099));
    const chunks = Readable.from(parts);
    assert.deepEqual(await digestsOfStream(chunks), digestsOf(whole));
  });

  it('hashes a file streamed from disk, sparse holes included, as its bytes', async () => {
    // 64 MiB of which only the last bytes are written: many read chunks, one in memory at a time.
    // (bench/chain.bench.ts hashes a 2,200 MiB file this way: past a Buffer's 2 GiB limit.)
    const dir = await mkdtemp(join(tmpdir(), 'sathos-digest-'));
    try {
      const path = join(dir, 'sparse.bin');
      await writeFile(path, '');
      await truncate(path, 64 * 1024 * 1024 - 4);
      const tail = Buffer.from('tail');
      await writeFile(path, tail, { flag: 'a' });
      const expected = digestsOf(Buffer.concat([Buffer.alloc(64 * 1024 * 1024 - 4), tail]));
      assert.deepEqual(await digestsOfStream(createReadStream(path)), expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
