// What the fuzzers found, each as its smallest reproduction. Error messages quoted hostile input raw:
// a line break or terminal control from a bundle, a commit, a key or a policy reached stderr and the
// job log as output of its own (a forged line, a `::` workflow command, an escape sequence).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseAllowedSigners,
  parseBundleText,
  parseCommit,
  parsePolicy,
  PolicyInvalidError,
  problemLine,
  SathosError,
} from '@sathos/core';
import { parseSshKey } from '../../packages/core/src/identity/commits/ssh/key.js';
import { assertOneLine } from './harness.js';

function refusal(run: () => unknown): SathosError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SathosError, `not a SathosError: ${String(error)}`);
    return error;
  }
  assert.fail('the input was accepted');
}

void describe('hostile input quoted in an error message stays one plain line', () => {
  void it('a bundle whose JSON breaks next to a newline (V8 quotes the text around the error)', () => {
    const error = refusal(() => parseBundleText('{"a":\n::error::forged}', 'b.json'));
    assert.equal(error.code, 'MALFORMED_BUNDLE');
    assertOneLine(error.line);
    assert.match(error.line, /\\u000a::error::/);
  });

  void it('an SSH key blob whose key type holds a newline and an escape', () => {
    const type = Buffer.from('ssh-ed\n\u001b[32mverified');
    const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type]);
    const error = refusal(() => parseSshKey(blob, 'the key'));
    assert.equal(error.code, 'SIGNATURE_INVALID');
    assertOneLine(error.line);
  });

  void it('a commit header line with NUL bytes', () => {
    const raw = Buffer.from(`tree\0\0${'a'.repeat(40)}\nauthor A <a@x> 1 +0000\n\nm\n`);
    const error = refusal(() => parseCommit('a'.repeat(40), raw));
    assert.equal(error.code, 'MALFORMED_COMMIT');
    assertOneLine(error.line);
  });

  void it('an allowed_signers timestamp with a carriage return', () => {
    const error = refusal(() =>
      parseAllowedSigners('* valid-after="2020\r::error::x" ssh-ed25519 AAAA', 'signers'),
    );
    assert.equal(error.code, 'POLICY_INVALID');
    assertOneLine(error.line);
  });

  void it('a policy field named with a NUL byte, in the message and in each printed problem', () => {
    const error = refusal(() => parsePolicy('apiVersion: sathos.dev/v1\n"\\0x": 1\n', 'p.yaml'));
    assert.ok(error instanceof PolicyInvalidError);
    assertOneLine(error.line);
    assert.ok(error.problems.length > 0);
    for (const p of error.problems) assertOneLine(problemLine('p.yaml', p));
  });

  void it('where (the file or record named) is one line too', () => {
    assertOneLine(new SathosError('USAGE', 'm', { where: 'a\nb' }).line);
  });
});
