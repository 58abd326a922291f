import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSathosError } from '@sathos/core';
import { parseFileCommands } from './file-commands.js';

void describe('GITHUB_OUTPUT / GITHUB_ENV files', () => {
  void it('reads name=value lines and heredoc blocks; a later line wins', () => {
    const text = 'a=1\nkey<<EOF_1\nline one\nline=two\nEOF_1\n\na=2\nempty=\n';
    assert.deepEqual(parseFileCommands(text, 'f'), {
      a: '2',
      key: 'line one\nline=two',
      empty: '',
    });
  });

  void it('refuses a heredoc never closed, a line with no name, and an oversized file', () => {
    for (const text of [
      'k<<END\nvalue\n',
      '=value\n',
      'just text\n',
      `a=${'x'.repeat(1024 * 1024)}`,
    ]) {
      assert.throws(
        () => parseFileCommands(text, 'f'),
        (e: unknown) => isSathosError(e) && e.code === 'WORKFLOW_INVALID',
        JSON.stringify(text.slice(0, 20)),
      );
    }
  });
});
