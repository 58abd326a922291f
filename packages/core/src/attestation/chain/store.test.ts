// The in-memory chain store keeps the file store's contract: one JSON line per bundle, a step's
// bundles all or none, nothing already there rewritten, and text its own reader accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SathosError, type ErrorCode } from '../../errors.js';
import { CHAIN_LIMITS } from './chain.js';
import { MemoryChainStore, chainLineOf } from './store.js';

function hasCode(code: ErrorCode, pattern?: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `expected a SathosError, got ${String(error)}`);
    assert.equal(error.code, code, `got ${error.code}: ${error.line}`);
    if (pattern !== undefined) assert.match(error.line, pattern);
    return true;
  };
}

const TOO_LONG = { blob: 'x'.repeat(CHAIN_LIMITS.maxLineBytes) };

void describe('chainLineOf', () => {
  void it('encodes a bundle as one JSON line, newlines inside strings escaped', () => {
    assert.equal(chainLineOf({ text: 'two\nlines' }, 'c'), '{"text":"two\\nlines"}\n');
  });

  void it('refuses what is not JSON and what its reader would refuse (STORE_FAILED)', () => {
    assert.throws(() => chainLineOf(undefined, 'c'), hasCode('STORE_FAILED', /one JSON line/));
    assert.throws(() => chainLineOf(() => 1, 'c'), hasCode('STORE_FAILED'));
    assert.throws(() => chainLineOf(TOO_LONG, 'c'), hasCode('STORE_FAILED'));
  });
});

void describe('MemoryChainStore', () => {
  void it('reads an empty chain as empty', async () => {
    assert.deepEqual(await new MemoryChainStore().read(), []);
  });

  void it('appends each bundle as one line after what is there, and reads them back', async () => {
    const store = new MemoryChainStore('{"kept":true}');
    await store.append({ n: 1 });
    await store.appendAll([{ n: 2 }, { n: 3 }]);
    assert.equal(store.text(), '{"kept":true}\n{"n":1}\n{"n":2}\n{"n":3}\n');
    assert.deepEqual(
      (await store.read()).map((l) => [l.line, l.bundle]),
      [
        [1, { kept: true }],
        [2, { n: 1 }],
        [3, { n: 2 }],
        [4, { n: 3 }],
      ],
    );
  });

  void it('adds none of a step when one of its bundles cannot be stored', async () => {
    const store = new MemoryChainStore();
    await store.append({ first: true });
    await assert.rejects(store.appendAll([{ ok: 1 }, TOO_LONG]), hasCode('STORE_FAILED'));
    assert.equal(store.text(), '{"first":true}\n');
  });

  void it('rejects malformed text on read, naming its location and line (MALFORMED_CHAIN)', async () => {
    const store = new MemoryChainStore('{}\nnot json\n', 'artifact.jsonl');
    await assert.rejects(store.read(), hasCode('MALFORMED_CHAIN', /artifact\.jsonl line 2/));
  });
});
