// Attack: fill the gateway's decision log with allowed requests, then reach a host the policy does
// not name. The log keeps only its first `maxDecisionsLogged` decisions, and the findings were built
// from the log alone, so the late connection (audited: it opened) left no finding, the record's
// `anomaly.findings` was empty and the gate's `anomalies: deny` let the deploy through.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { anomalyObservation, anomalySettings, emptyBaseline, planStep } from '@sathos/core';
import { DecisionLog } from './decisions.js';
import { superviseStep } from './supervise-step.js';
import { countingServer, loopbackResolver, type CountingServer } from './test-servers.js';

const FLOOD = 6;

void describe('a flood of allowed requests does not hide a later finding', () => {
  let server: CountingServer;
  before(async () => {
    server = await countingServer('ok\n');
  });
  after(async () => {
    await server.close();
  });

  void it('the audited host past the log bound is still a finding (or counted as omitted)', async () => {
    const url = (host: string) => `http://${host}:${server.port}/`;
    const script = [
      `for i in $(seq ${FLOOD}); do curl -sS --max-time 120 -o /dev/null ${url('allowed.test')}; done`,
      `curl -sS --max-time 120 -o /dev/null ${url('evil.test')}`,
    ].join('\n');
    const step = await superviseStep({
      command: 'bash',
      args: ['-eo', 'pipefail', '-c', script],
      output: { stdout: new PassThrough().resume(), stderr: new PassThrough().resume() },
      settings: anomalySettings({ mode: 'audit', allowedHosts: ['allowed.test'] }, {}, 'test'),
      resolve: loopbackResolver,
      limits: { maxDecisionsLogged: FLOOD },
    });
    assert.equal(step.exitCode, 0, 'the step itself succeeded (audit opens the connection)');
    assert.equal(server.connections(), FLOOD + 1, 'evil.test was really reached');
    const { anomaly } = step.observations;
    // Kept past the bound (findings are few): named, not just counted.
    assert.ok(
      anomaly.findings.some((f) => 'host' in f && f.host.startsWith('evil.test')),
      `the connection to evil.test must be a finding: ${JSON.stringify(anomaly)}`,
    );
    assert.equal(anomaly.connections.allowed + anomaly.connections.audited, FLOOD + 1);
  });
});

void it('findings past both bounds are counted as omitted, which the gate denies on', () => {
  const settings = anomalySettings({ mode: 'audit', allowedHosts: ['allowed.test'] }, {}, 'test');
  const plan = planStep(settings, emptyBaseline('flood'));
  const log = new DecisionLog({
    decide: (r) =>
      r.host === 'allowed.test'
        ? { action: 'allow', rule: 'allowedHosts[0]', reason: 'listed' }
        : { action: 'audit', rule: 'default', reason: 'not listed' },
    onDecision: undefined,
    onHalt: () => undefined,
    clock: () => 0,
    maxLogged: 3,
  });
  for (let i = 0; i < 10; i++) log.decide('allowed.test', 443, 'connect');
  for (let i = 0; i < 5; i++) log.decide(`evil-${i}.test`, 443, 'connect');
  // 3 allowed kept, then 3 audited past the bound; 7 allowed and 2 audited only counted.
  assert.equal(log.decisions.length, 6);
  assert.deepEqual(log.droppedByAction, { allow: 7, audit: 2, block: 0, halt: 0 });
  const observation = anomalyObservation(plan, {
    exitCode: 0,
    halted: false,
    durationMs: 1,
    decisions: log.decisions,
    droppedByAction: log.droppedByAction,
  });
  assert.equal(observation.findings.length, 3);
  assert.equal(observation.findingsOmitted, 2);
  assert.deepEqual(observation.connections, { allowed: 10, audited: 5, blocked: 0, halted: 0 });
  // A count that is not a whole number reads as a finding, never as none.
  const garbled = anomalyObservation(plan, {
    exitCode: 0,
    halted: false,
    durationMs: 1,
    decisions: [],
    droppedByAction: { block: Number.NaN },
  });
  assert.equal(garbled.findingsOmitted, 1);
});
