// The built-in sathos:posture check: under a policy with a posture: section, a source step passes
// only with a workflow posture about the run's commit, decided under this policy, allowed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { celVariables } from '../cel/values.js';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicy } from '../document/document.js';

const COMMIT = 'a'.repeat(40);
const BASE = `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build]
identities:
  source: [{ keyId: "sha256:${'c'.repeat(64)}" }]
  build: [{ keyId: "sha256:${'c'.repeat(64)}" }]
`;
const POLICY = parsePolicy(`${BASE}posture:\n  deny: [unpinned-action]\n`, 'policy.yml');
const NO_POSTURE = parsePolicy(BASE, 'plain.yml');

const posture = (over: Record<string, unknown> = {}, decision: Record<string, unknown> = {}) => ({
  commit: COMMIT,
  decision: {
    allowed: true,
    policy: { uri: POLICY.uri, digest: { sha256: POLICY.digest } },
    failed: [],
    ...decision,
  },
  ...over,
});

function check(workflowPosture: unknown, stage = 'source', policy = POLICY): string | undefined {
  const evidence = workflowPosture === undefined ? {} : { workflowPosture };
  const decision = evaluatePolicy(policy, {
    stage,
    variables: celVariables({ run: { commit: COMMIT }, evidence }),
  });
  const failed = decision.results.find((r) => r.id === 'sathos:posture');
  assert.equal(decision.allowed, failed === undefined);
  return failed?.error ?? (failed === undefined ? undefined : '');
}

void describe('sathos:posture', () => {
  void it('passes an allowed posture of the run commit decided under the same policy', () => {
    assert.equal(check(posture()), undefined);
  });

  void it('fails a source step that recorded no posture', () => {
    assert.equal(check(undefined), 'the step recorded no workflow-posture evidence');
  });

  void it('fails a denied posture, naming the rules it failed', () => {
    const denied = posture({}, { allowed: false, failed: ['posture:unpinned-action'] });
    assert.equal(check(denied), 'the posture denied: posture:unpinned-action');
  });

  void it('fails an allowed posture of another commit (a replayed statement)', () => {
    assert.match(check(posture({ commit: 'b'.repeat(40) })) ?? '', /not the run's commit a{40}/);
  });

  void it('fails a posture decided under another policy (a weaker one)', () => {
    const other = posture({}, { policy: { uri: 'weak.yml', digest: { sha256: 'd'.repeat(64) } } });
    assert.equal(check(other), 'it was decided under another policy');
  });

  void it('fails malformed decisions rather than reading them as allowed', () => {
    assert.match(check(posture({}, { allowed: 'true' })) ?? '', /^the posture denied/);
    assert.match(check(posture({ decision: 'allowed' })) ?? '', /another policy/);
    assert.match(check('allowed') ?? '', /not the run's commit/);
    assert.match(check(posture({ commit: 7 })) ?? '', /not the run's commit/);
  });

  void it('quotes no recorded text but commit and rule ids (a reason is printed as a log line)', () => {
    const forged = posture({ commit: `${'b'.repeat(40)}\n::error::forged` });
    assert.equal(check(forged), "it judged no commit id, not the run's commit " + COMMIT);
    const ids = [
      'posture:unpinned-action',
      'x\n::warning::y',
      ...Array.from({ length: 20 }, (_, i) => `r${i}`),
    ];
    assert.equal(
      check(posture({}, { allowed: false, failed: ids })),
      'the posture denied: posture:unpinned-action, r0, r1, r2, r3, r4, r5, r6',
    );
  });

  void it('applies only to the source stage of a policy with a posture: section', () => {
    assert.equal(check(undefined, 'build'), undefined);
    assert.equal(check(undefined, 'source', NO_POSTURE), undefined);
  });
});
