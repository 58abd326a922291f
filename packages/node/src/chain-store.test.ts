// The JSON Lines chain store against the file system: absent, nested, existing, unreadable,
// malformed and oversized chains, and appends that must land whole or not at all.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { CHAIN_LIMITS, SathosError, type ErrorCode } from '@sathos/core';
import { JsonlFileStore } from './chain-store.js';

function hasCode(code: ErrorCode, pattern?: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `expected a SathosError, got ${String(error)}`);
    assert.equal(error.code, code, `got ${error.code}: ${error.line}`);
    if (pattern !== undefined) assert.match(error.line, pattern);
    return true;
  };
}

void describe('JsonlFileStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-chain-store-'));
  });

  void it('reads an absent chain as empty', async () => {
    assert.deepEqual(await new JsonlFileStore(join(dir, 'absent.jsonl')).read(), []);
  });

  void it('appends each bundle as exactly one line and reads them back', async () => {
    const store = new JsonlFileStore(join(dir, 'nested', 'chain.jsonl'));
    await store.append({ n: 1, text: 'two\nlines' });
    await store.append({ n: 2 });
    const text = await readFile(store.location, 'utf8');
    assert.equal(text, '{"n":1,"text":"two\\nlines"}\n{"n":2}\n');
    assert.deepEqual(await store.read(), [
      { line: 1, bundle: { n: 1, text: 'two\nlines' } },
      { line: 2, bundle: { n: 2 } },
    ]);
  });

  void it('never rewrites what is already there', async () => {
    const path = join(dir, 'existing.jsonl');
    await writeFile(path, '{"kept":true}\n');
    await new JsonlFileStore(path).append({ added: true });
    assert.equal(await readFile(path, 'utf8'), '{"kept":true}\n{"added":true}\n');
  });

  void describe('when the file cannot be used', () => {
    void it('rejects a path it cannot read (FILE_UNREADABLE)', async () => {
      const path = join(dir, 'a-directory');
      await mkdir(path);
      await assert.rejects(new JsonlFileStore(path).read(), hasCode('FILE_UNREADABLE'));
    });

    void it('rejects a malformed chain file naming its path and line (MALFORMED_CHAIN)', async () => {
      const path = join(dir, 'broken.jsonl');
      await writeFile(path, '{}\nnot json\n');
      await assert.rejects(
        new JsonlFileStore(path).read(),
        hasCode('MALFORMED_CHAIN', /broken\.jsonl line 2/),
      );
    });

    void it('reports an append it cannot make (STORE_FAILED)', async () => {
      const file = join(dir, 'plain-file');
      await writeFile(file, '');
      const store = new JsonlFileStore(join(file, 'chain.jsonl'));
      await assert.rejects(store.append({}), hasCode('STORE_FAILED'));
    });

    void it('refuses a bundle too large for one line (STORE_FAILED)', async () => {
      const store = new JsonlFileStore(join(dir, 'large.jsonl'));
      await assert.rejects(
        store.append({ blob: 'x'.repeat(CHAIN_LIMITS.maxLineBytes) }),
        hasCode('STORE_FAILED'),
      );
      assert.deepEqual(await store.read(), []);
    });
  });
});
