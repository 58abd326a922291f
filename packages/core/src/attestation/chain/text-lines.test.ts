import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nonBlankLines } from './text-lines.js';

const walk = (text: string) => [...nonBlankLines(text)];

void describe('nonBlankLines', () => {
  void it('yields each non-blank line trimmed, with its 1-based number', () => {
    assert.deepEqual(walk('a\n\n  \n b \r\nc'), [
      { text: 'a', number: 1 },
      { text: 'b', number: 4 },
      { text: 'c', number: 5 },
    ]);
  });

  void it('yields nothing for an empty or all-blank text', () => {
    assert.deepEqual(walk(''), []);
    assert.deepEqual(walk('\n \r\n\t\n'), []);
  });

  void describe('when lines end in CRLF or the text starts with a byte order mark', () => {
    void it('trims them away as whitespace', () => {
      assert.deepEqual(walk('\uFEFF{"a":1}\r\n{"b":2}\r\n'), [
        { text: '{"a":1}', number: 1 },
        { text: '{"b":2}', number: 2 },
      ]);
    });
  });

  void describe('when blank runs are long', () => {
    void it('counts the lines it skips', () => {
      assert.deepEqual(walk(`x${'\n'.repeat(1_000_000)}y`), [
        { text: 'x', number: 1 },
        { text: 'y', number: 1_000_001 },
      ]);
    });
  });
});
