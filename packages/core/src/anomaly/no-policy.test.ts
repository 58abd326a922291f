// No policy, no finding: when nothing names a step's hosts (no anomaly section, no hosts given) and
// no baseline knows them yet, an audited host is recorded — counted, its decision logged — but is
// not a finding the gate denies on. Once a baseline knows the hosts, or anything names them, an
// unknown host is a finding again; and a refused host (block, halt) always is: deny by default.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyBaseline, type Baseline } from './baseline.js';
import { egressDecider } from './decide.js';
import type { EgressAction, EgressDecision } from './events.js';
import { anomalyObservation } from './findings.js';
import { anomalySettings, planStep, type AnomalyRequest } from './plan.js';
import type { AnomalyPolicy } from './settings.js';

const request = (host: string) => ({ host, port: 443, protocol: 'connect', at: 0 }) as const;

/** Plans the step, decides one request to `host` with the real decider, and observes the run. */
function run(
  policy: AnomalyPolicy | undefined,
  req: AnomalyRequest,
  baseline: Baseline = emptyBaseline('build'),
  droppedByAction: Partial<Record<EgressAction, number>> = {},
) {
  const plan = planStep(anomalySettings(policy, req, 'policy.yaml'), baseline);
  const verdict = egressDecider(plan)(request('exfil.example'));
  const decisions: EgressDecision[] = [{ request: request('exfil.example'), verdict }];
  const observation = anomalyObservation(plan, {
    exitCode: 0,
    halted: false,
    durationMs: 10,
    decisions,
    droppedByAction,
  });
  return { verdict, observation };
}

/** `n` runs that recorded their hosts (they reached only pkg.example). */
function baselineWith(n: number): Baseline {
  return {
    step: 'build',
    runs: Array.from({ length: n }, (_, i) => ({
      at: i,
      durationMs: 1000,
      hosts: ['pkg.example:443'],
    })),
  };
}

void describe('no policy, no finding', () => {
  void it('audit with nothing naming the hosts records the host, counted, but not as a finding', () => {
    const { verdict, observation } = run(undefined, { mode: 'audit' }, emptyBaseline('build'), {
      audit: 3,
    });
    assert.equal(verdict.action, 'audit', 'the connection is made and logged');
    assert.match(verdict.reason, /recorded: no policy names this step's hosts/);
    assert.deepEqual(observation.findings, []);
    assert.equal(observation.findingsOmitted, undefined, 'dropped audits are not findings either');
    assert.equal(observation.connections.audited, 1 + 3);
    assert.equal(observation.hostsJudged, false, 'the record says its hosts were not judged');
  });

  void it('a baseline that recorded the hosts of enough runs makes an unknown host a finding', () => {
    const learning = run(undefined, { mode: 'audit' }, baselineWith(4));
    assert.deepEqual(learning.observation.findings, [], 'four runs: still learning');
    const known = run(undefined, { mode: 'audit' }, baselineWith(5));
    assert.deepEqual(
      known.observation.findings.map((f) => f.kind),
      ['unknown-host'],
    );
    assert.equal(known.observation.hostsJudged, undefined);
    // Runs seeded from timings alone (no hosts recorded) know no hosts.
    const timings: Baseline = {
      step: 'build',
      runs: Array.from({ length: 10 }, (_, i) => ({ at: i, durationMs: 1000 })),
    };
    assert.deepEqual(run(undefined, { mode: 'audit' }, timings).observation.findings, []);
  });

  void it('hosts named anywhere — a policy section, even empty, or the caller — make it a finding', () => {
    for (const [policy, req] of [
      [{ mode: 'audit', allowedHosts: [] }, {}],
      [{ mode: 'audit', allowedHosts: ['pkg.example'] }, {}],
      [undefined, { mode: 'audit', allowHosts: ['pkg.example'] }],
    ] as const) {
      const { observation } = run(policy, req, emptyBaseline('build'), { audit: 2 });
      assert.deepEqual(
        observation.findings.map((f) => f.kind),
        ['unknown-host'],
      );
      assert.equal(observation.findingsOmitted, 2);
      assert.equal(observation.hostsJudged, undefined);
    }
  });

  void it('a refused host is a finding with or without a policy: deny by default', () => {
    for (const [mode, kind] of [
      [undefined, 'blocked-host'],
      ['block', 'blocked-host'],
      ['halt', 'halted-host'],
    ] as const) {
      const req = mode === undefined ? {} : { mode };
      const { verdict, observation } = run(undefined, req, emptyBaseline('build'), { block: 1 });
      assert.notEqual(verdict.action, 'allow');
      assert.deepEqual(
        observation.findings.map((f) => f.kind),
        [kind],
      );
      assert.equal(observation.findingsOmitted, 1, 'a dropped refusal still counts');
    }
  });
});
