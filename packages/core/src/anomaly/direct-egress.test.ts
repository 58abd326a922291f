// Egress around the gateway that the sandbox rejected (the iptables level counts it) is refused
// egress: a finding in every mode, with or without anything naming the step's hosts, and a run with
// any teaches its baseline nothing. Before, the count reached only the sandbox's note and the gate
// allowed the step.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyBaseline, learnRun } from './baseline.js';
import { anomalyObservation, type SupervisedRun } from './findings.js';
import { anomalySettings, planStep } from './plan.js';

const clean: SupervisedRun = { exitCode: 0, halted: false, durationMs: 10, decisions: [] };

function findingsOf(run: SupervisedRun, mode: 'audit' | 'block' = 'block', policy = true) {
  const settings = anomalySettings(
    policy ? { allowedHosts: ['pkg.example'], mode } : undefined,
    policy ? {} : { mode },
    'policy.yaml',
  );
  return anomalyObservation(planStep(settings, emptyBaseline('build')), run).findings;
}

describe('direct egress', () => {
  it('is a finding with its count, under a policy and with nothing naming the hosts', () => {
    for (const [mode, policy] of [
      ['block', true],
      ['audit', true],
      ['audit', false],
    ] as const) {
      const findings = findingsOf({ ...clean, directEgress: 3 }, mode, policy);
      assert.equal(findings.length, 1, `${mode} ${String(policy)}`);
      const [finding] = findings;
      assert.ok(finding?.kind === 'direct-egress' && finding.count === 3);
    }
  });

  it('none counted, or not counted (other levels), is no finding', () => {
    assert.deepEqual(findingsOf({ ...clean, directEgress: 0 }), []);
    assert.deepEqual(findingsOf(clean), []);
  });

  it('a count that is not a whole number reads as one (fail closed)', () => {
    for (const bad of [Number.NaN, -2, 1.5, Number.POSITIVE_INFINITY]) {
      const [finding] = findingsOf({ ...clean, directEgress: bad });
      assert.ok(finding?.kind === 'direct-egress' && finding.count === 1, String(bad));
    }
  });

  it('a run with any teaches the baseline nothing', () => {
    const outcome = { ...clean, at: 1, directEgress: 1 };
    assert.deepEqual(learnRun(emptyBaseline('build'), outcome), {
      learned: false,
      reason: '1 packet(s) around the gateway were rejected',
    });
    assert.equal(learnRun(emptyBaseline('build'), { ...outcome, directEgress: 0 }).learned, true);
  });
});
