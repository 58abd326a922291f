// The anomaly observation reaches the policy: a step records it as observations.anomaly in its
// transition record, and a rule over it decides the step (decideStep), as the gate will.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransitionStatement } from '../attestation/record/transition.js';
import { decideStep } from '../policy/evaluate/decide-step.js';
import { parsePolicy } from '../policy/document/document.js';
import type { EgressDecision } from './events.js';
import { anomalyObservation } from './findings.js';
import { anomalySettings, planStep } from './plan.js';

const KEY_ID = `sha256:${'c'.repeat(64)}`;
const RUN = {
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  runId: '7',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};
const POLICY = parsePolicy(
  `apiVersion: sathos.dev/v1
kind: Policy
stages: [source]
identities:
  source: [{ keyId: "${KEY_ID}" }]
rules:
  - id: no-anomaly
    expression: "!has(observations.anomaly) || observations.anomaly.findings.size() == 0"
    message: a supervised step may have no anomaly findings
anomaly: { mode: audit, allowedHosts: [api.github.com] }
`,
  'policy.yaml',
);

const decision = (host: string, action: 'allow' | 'audit'): EgressDecision => ({
  request: { host, port: 443, protocol: 'connect', at: 0 },
  verdict: { action, rule: 'test', reason: `${action} ${host}` },
});

function observe(decisions: EgressDecision[]) {
  const plan = planStep(anomalySettings(POLICY.anomaly, {}, 'policy.yaml'), {
    step: 'source',
    runs: [],
  });
  return anomalyObservation(plan, { exitCode: 0, halted: false, durationMs: 10, decisions });
}

function decideWith(observations: Record<string, unknown>) {
  return decideStep({
    policy: POLICY,
    chain: [],
    stage: 'source',
    run: RUN,
    identity: { kind: 'key', keyId: KEY_ID },
    subjects: [{ name: 'git+acme/app', digest: { gitCommit: RUN.commit } }],
    observations,
  });
}

void describe('the anomaly observation in a transition record', () => {
  void it('is valid in a record, and a rule over it allows a clean step', () => {
    const anomaly = observe([decision('api.github.com', 'allow')]);
    const statement = buildTransitionStatement({
      stage: 'source',
      subjects: [{ name: 'git+acme/app', digest: { gitCommit: RUN.commit } }],
      run: RUN,
      link: { sequence: 0, previous: [] },
      actor: { kind: 'key', keyId: KEY_ID },
      observations: { anomaly },
    });
    assert.deepEqual(statement.predicate.observations, { anomaly });
    assert.equal(decideWith({ anomaly }).allowed, true);
  });

  void it('denies a step whose supervisor audited an unknown host', () => {
    const anomaly = observe([decision('exfil.example', 'audit')]);
    assert.equal(anomaly.findings[0]?.kind, 'unknown-host');
    const result = decideWith({ anomaly });
    assert.equal(result.allowed, false);
    assert.ok(result.results.some((r) => r.id === 'no-anomaly' && !r.passed));
  });
});
