import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PolicyInvalidError } from '../policy/document/problem.js';
import { parsePolicy } from '../policy/document/document.js';
import { BASELINE_POLICY_TEXT, baselinePolicy } from './baseline.js';

const HEAD = `apiVersion: sathos.dev/v1
kind: Policy
stages: [source]
identities:
  source: [{ keyId: 'sha256:${'a'.repeat(64)}' }]
`;

test('the embedded baseline is docs/policies/posture-baseline.yaml byte for byte, and loads', () => {
  const doc = readFileSync(
    new URL('../../../../docs/policies/posture-baseline.yaml', import.meta.url),
    'utf8',
  );
  assert.equal(BASELINE_POLICY_TEXT, doc);
  const posture = baselinePolicy().posture;
  assert.ok(posture !== undefined);
  assert.ok(posture.deny.includes('untrusted-checkout'));
  assert.equal(posture.lock, 'if-present');
  assert.equal(posture.rules.length, 3);
});

test('a posture section is read with its defaults', () => {
  const posture = parsePolicy(`${HEAD}posture:\n  deny: [unpinned-action]\n`, 'p.yaml').posture;
  assert.ok(posture !== undefined);
  assert.deepEqual(posture.deny, ['unpinned-action']);
  assert.equal(posture.lock, 'if-present');
  assert.equal(posture.lockFile, '.github/sathos-actions.lock.json');
});

test('a bad posture section is refused with every problem located', () => {
  const text = `${HEAD}posture:
  deny: [unpinned-actions]
  lock: sometimes
  lockFile: ../outside.json
  colour: red
  rules:
    - id: bad
      expression: "workflow.jobs.size() + 1"
      message: not a bool
`;
  assert.throws(
    () => parsePolicy(text, 'p.yaml'),
    (e: unknown) => {
      assert.ok(e instanceof PolicyInvalidError);
      const lines = e.problems.map((p) => `${p.line ?? 0}: ${p.message}`);
      assert.ok(
        lines.some((l) => l.startsWith('7:') && l.includes('"unpinned-actions"')),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => l.startsWith('8:') && l.includes('posture.lock')),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => l.startsWith('9:') && l.includes('lockFile')),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => l.startsWith('10:') && l.includes('colour')),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => l.startsWith('13:') && l.includes('not a bool')),
        lines.join('\n'),
      );
      return true;
    },
  );
});
