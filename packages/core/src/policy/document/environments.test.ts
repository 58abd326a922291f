import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { celVariables } from '../cel/values.js';
import { evaluatePolicy } from '../evaluate/evaluate.js';
import { parsePolicy } from './document.js';
import { missingEnvironment } from './environments.js';

const KEY_ID = `sha256:${'d'.repeat(64)}`;
const IDENTITY = { kind: 'key', keyId: KEY_ID } as const;

function policy(environments: string, rules = RULES): ReturnType<typeof parsePolicy> {
  return parsePolicy(
    `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, deploy]
identities:
  source: [{ keyId: "${KEY_ID}" }]
  build: [{ keyId: "${KEY_ID}" }]
  deploy: [{ keyId: "${KEY_ID}" }]
${rules}
${environments}`,
    'policy.yaml',
  );
}

const RULES = `rules:
  - id: prod-needs-approval
    stage: deploy
    environments: [production]
    expression: "has(observations.approvedBy)"
    message: a production deploy needs an approval`;

const WITH_ENVIRONMENTS = policy(`environments:
  staging:
  production: { requiredStages: [source, build] }
`);

function decide(p: ReturnType<typeof parsePolicy>, stage: string, environment?: string) {
  return evaluatePolicy(p, {
    stage,
    identity: IDENTITY,
    variables: celVariables({
      observations: environment === undefined ? {} : { environment },
      chain: { records: [{ stage: 'source' }, { stage: 'build' }] },
    }),
    ...(environment === undefined ? {} : { environment }),
  });
}

const failed = (d: ReturnType<typeof decide>): string[] =>
  d.results.filter((r) => !r.passed).map((r) => r.id);

void describe('deploy environments', () => {
  void it('denies a deploy naming no environment under a policy that declares some', () => {
    // The attack: with no environment, production's required stages and approval rule were skipped.
    const decision = decide(WITH_ENVIRONMENTS, 'deploy');
    assert.equal(decision.allowed, false);
    assert.deepEqual(failed(decision), ['sathos:environment']);
    assert.match(
      decision.results[0]?.message ?? '',
      /deploy must name the environment it deploys to \(observations.environment\), one of staging, production/,
    );
  });

  void it('allows a deploy to a declared environment with no extra demand', () => {
    assert.equal(decide(WITH_ENVIRONMENTS, 'deploy', 'staging').allowed, true);
  });

  void it('still applies the environment’s rules when the deploy names it', () => {
    assert.deepEqual(failed(decide(WITH_ENVIRONMENTS, 'deploy', 'production')), [
      'prod-needs-approval',
    ]);
  });

  void it('asks no environment of other stages', () => {
    assert.equal(decide(WITH_ENVIRONMENTS, 'build').allowed, true);
  });

  void it('asks no environment of a deploy when the policy declares none', () => {
    assert.equal(decide(policy('', ''), 'deploy').allowed, true);
    assert.equal(missingEnvironment({}, 'deploy', ''), undefined);
  });

  void it('attack: refuses two environments GitHub and the summary cannot tell apart', () => {
    for (const twin of ['Production', 'PRODUCTION', 'pro-duction', 'pro.duction']) {
      const base = twin.includes('-') || twin.includes('.') ? 'pro_duction' : 'production';
      assert.throws(
        () => policy(`environments:\n  ${base}:\n    requiredStages: [build]\n  ${twin}:\n`, ''),
        new RegExp(
          `environments\\.${twin.replace('.', '\\.')} and environments\\.${base} are one environment`,
        ),
      );
    }
    assert.ok(policy('environments:\n  production:\n  production-eu:\n', ''));
  });
});
