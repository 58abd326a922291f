import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSathosError } from '@sathos/core';
import { asText, evaluateExpression, truthy } from './expressions.js';

const contexts = {
  inputs: { word: 'hi', n: 3 },
  needs: { build: { result: 'success', outputs: { digest: 'sha256:ab' } } },
};

void describe('workflow expressions through @actions/expressions', () => {
  void it('reads contexts, calls GitHub functions, and answers the status functions per scope', () => {
    const ok = { succeeded: true };
    assert.equal(
      evaluateExpression("format('{0}-{1}', inputs.word, inputs.n)", contexts, ok, 'w'),
      'hi-3',
    );
    assert.equal(evaluateExpression('needs.build.outputs.digest', contexts, ok, 'w'), 'sha256:ab');
    assert.equal(evaluateExpression('success() && inputs.n > 2', contexts, ok, 'w'), true);
    assert.equal(evaluateExpression('success()', contexts, { succeeded: false }, 'w'), false);
    assert.equal(evaluateExpression('failure()', contexts, { succeeded: false }, 'w'), true);
    assert.equal(evaluateExpression('always()', contexts, { succeeded: false }, 'w'), true);
    assert.equal(evaluateExpression('needs.nothing.outputs.x', contexts, ok, 'w'), null);
  });

  void it('refuses an expression that does not parse or calls an unknown function', () => {
    for (const bad of ['inputs.word ==', 'hashFiles2(inputs.word)', "secrets['unterminated"]) {
      assert.throws(
        () => evaluateExpression(bad, contexts, { succeeded: true }, 'w'),
        (e: unknown) => isSathosError(e) && e.code === 'WORKFLOW_INVALID',
        bad,
      );
    }
  });

  void it("coerces values to text and truth as GitHub's runner does", () => {
    assert.deepEqual(
      [asText(null), asText(3), asText(true), asText({ a: 1 })],
      ['', '3', 'true', '{"a":1}'],
    );
    assert.deepEqual(
      [truthy(''), truthy('0'), truthy(0), truthy(null), truthy({})],
      [false, true, false, false, true],
    );
  });
});
