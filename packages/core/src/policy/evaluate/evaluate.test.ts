import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateSigner } from '../../identity/signers/signer-identity.js';
import { celVariables } from '../cel/values.js';
import type { Decision } from './decision.js';
import { decisionRef, unavailableDecision } from './decision.js';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicy } from '../document/document.js';

const KEY_ID = `sha256:${'c'.repeat(64)}`;
const ISSUER = 'https://token.actions.githubusercontent.com';

const POLICY = parsePolicy(
  `apiVersion: sathos.dev/v1
kind: Policy
stages: [build, test, deploy]
identities:
  build:
    - issuer: ${ISSUER}
      subjectRegexp: "https://github\\\\.com/acme/.*"
      runnerEnvironment: github-hosted
  test: [{ keyId: "${KEY_ID}" }]
  deploy: [{ keyId: "${KEY_ID}" }]
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
  - id: no-failed-tests
    stage: test
    expression: "size(evidence.testResult.failedTests) == 0"
    message: no test may fail
  - id: main-only
    expression: "run.workflowRef.endsWith('@refs/heads/main')"
    message: only main runs
  - id: prod-needs-approval
    stage: deploy
    environments: [production]
    expression: "observations.approvedBy.size() > 0"
    message: a production deploy needs an approval
environments:
  production: { requiredStages: [build, test] }
  staging:
`,
  'policy.yaml',
);

const RUN = { workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main' };
const PASSED = { testResult: { result: 'PASSED', failedTests: [] } };

function decide(
  stage: string,
  input: Record<string, unknown>,
  extra: Partial<Parameters<typeof evaluatePolicy>[1]> = {},
): Decision {
  return evaluatePolicy(POLICY, { stage, variables: celVariables(input), ...extra });
}

const failedIds = (d: Decision): string[] => d.results.filter((r) => !r.passed).map((r) => r.id);

void describe('evaluatePolicy', () => {
  void it('allows when every applicable rule is true, and reports each rule', () => {
    const d = decide('test', { run: RUN, evidence: PASSED });
    assert.equal(d.allowed, true);
    assert.deepEqual(
      d.results.map((r) => [r.id, r.passed]),
      [
        ['tests-passed', true],
        ['no-failed-tests', true],
        ['main-only', true],
      ],
    );
    assert.deepEqual(d.policy, { uri: 'policy.yaml', digest: { sha256: POLICY.digest } });
  });

  void describe('when a rule is false', () => {
    void it('denies and names that rule, still reporting every other rule', () => {
      const d = decide('test', {
        run: RUN,
        evidence: { testResult: { result: 'FAILED', failedTests: ['a'] } },
      });
      assert.equal(d.allowed, false);
      assert.deepEqual(failedIds(d), ['tests-passed', 'no-failed-tests']);
      assert.equal(d.results.length, 3);
      assert.equal(
        d.results.find((r) => r.id === 'tests-passed')?.message,
        'the test stage must pass',
      );
    });
  });

  void describe('when a rule reads a field the input does not have', () => {
    void it('denies with that rule failed and the evaluation error, never throwing', () => {
      const d = decide('test', { run: RUN, evidence: {} });
      assert.equal(d.allowed, false);
      const failed = d.results.find((r) => r.id === 'tests-passed');
      assert.equal(failed?.passed, false);
      assert.match(failed.error ?? '', /testResult/);
    });

    void it('denies when a whole variable is missing', () => {
      const d = decide('test', { evidence: PASSED });
      assert.deepEqual(failedIds(d), ['main-only']);
      assert.match(d.results.find((r) => r.id === 'main-only')?.error ?? '', /unresolved|run/);
    });

    void it('denies when a rule yields something other than a bool at run time', () => {
      const policy = parsePolicy(
        POLICY_TEXT_WITH('- { id: dyn, expression: "evidence.flag", message: m }'),
        'p',
      );
      const d = evaluatePolicy(policy, {
        stage: 'build',
        variables: celVariables({ evidence: { flag: 'yes' } }),
      });
      assert.equal(d.allowed, false);
      assert.equal(d.results[0]?.error, 'did not evaluate to a bool');
    });
  });

  void describe('when the stage is not declared', () => {
    void it('denies by default, naming the stage, even with no rule about it', () => {
      const d = decide('release', { run: RUN });
      assert.equal(d.allowed, false);
      assert.equal(d.results[0]?.id, 'sathos:stage');
      assert.match(d.results[0].message, /"release" is not declared/);
    });

    void it('denies a stage named like an inherited property', () => {
      assert.equal(decide('constructor', { run: RUN }).allowed, false);
    });
  });

  void describe('when the step names its signer', () => {
    const certificate = (claims: CertificateSigner['claims']): CertificateSigner => ({
      kind: 'certificate',
      issuer: ISSUER,
      subject: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
      claims,
    });

    void it('allows a signer the stage names, with the claims the rule requires', () => {
      const d = decide(
        'build',
        { run: RUN },
        { identity: certificate({ runnerEnvironment: 'github-hosted' }) },
      );
      assert.equal(d.allowed, true, JSON.stringify(d.results));
    });

    void it('denies a signer whose certificate claims differ (a self-hosted runner)', () => {
      const d = decide(
        'build',
        { run: RUN },
        { identity: certificate({ runnerEnvironment: 'self-hosted' }) },
      );
      assert.deepEqual(failedIds(d), ['sathos:identity']);
    });

    void it('denies a key the stage does not name', () => {
      const d = decide(
        'test',
        { run: RUN, evidence: PASSED },
        { identity: { kind: 'key', keyId: `sha256:${'d'.repeat(64)}` } },
      );
      assert.deepEqual(failedIds(d), ['sathos:identity']);
    });
  });

  void describe('when the decision is about a deploy environment', () => {
    const chain = (stages: string[]): Record<string, unknown> => ({
      records: stages.map((stage) => ({ stage })),
    });

    void it('applies the environment’s rules and required stages', () => {
      const d = decide(
        'deploy',
        { run: RUN, chain: chain(['build', 'test']), observations: { approvedBy: ['lead'] } },
        { environment: 'production' },
      );
      assert.equal(d.allowed, true, JSON.stringify(d.results));
      assert.equal(d.environment, 'production');
      assert.ok(d.results.some((r) => r.id === 'prod-needs-approval'));
    });

    void it('denies a production deploy missing a required stage or an approval', () => {
      const d = decide(
        'deploy',
        { run: RUN, chain: chain(['build']), observations: { approvedBy: [] } },
        { environment: 'production' },
      );
      assert.deepEqual(failedIds(d), ['sathos:required-stages', 'prod-needs-approval']);
    });

    void it('does not apply production rules to staging', () => {
      const d = decide('deploy', { run: RUN }, { environment: 'staging' });
      assert.equal(d.allowed, true, JSON.stringify(d.results));
    });

    void it('takes the environment from the input when the request names none', () => {
      const d = decide('deploy', { run: RUN, environment: 'moon' });
      assert.deepEqual(failedIds(d), ['sathos:environment']);
    });

    void it('denies an environment the policy does not declare', () => {
      const d = decide('deploy', { run: RUN }, { environment: 'constructor' });
      assert.deepEqual(failedIds(d), ['sathos:environment']);
    });
  });

  void describe('when the evaluation runs out of time', () => {
    void it('fails the rules left, and denies', () => {
      let now = 0;
      const d = evaluatePolicy(
        POLICY,
        { stage: 'test', variables: celVariables({ run: RUN, evidence: PASSED }) },
        { timeMs: 5, clock: () => (now += 10) },
      );
      assert.equal(d.allowed, false);
      assert.ok(d.results.every((r) => !r.passed && r.error === 'time limit exceeded'));
    });
  });
});

function POLICY_TEXT_WITH(rule: string): string {
  return `apiVersion: sathos.dev/v1
kind: Policy
stages: [build]
identities:
  build: [{ keyId: "${KEY_ID}" }]
rules:
  ${rule}
`;
}

void describe('decisionRef', () => {
  void it('condenses a decision into what a record carries, every result one reason', () => {
    const d = decide('test', { run: RUN, evidence: { testResult: { result: 'FAILED' } } });
    const ref = decisionRef(d);
    assert.equal(ref.decision, 'deny');
    assert.deepEqual(ref.digest, { sha256: POLICY.digest });
    assert.equal(ref.reasons[0], 'fail tests-passed: the test stage must pass');
    assert.equal(ref.reasons.length, 3);
  });

  void it('denies when no policy could be read', () => {
    const d = unavailableDecision('github:acme/policies/p.yaml@x', 'build', 'HTTP 404');
    assert.equal(d.allowed, false);
    assert.equal(decisionRef(d).decision, 'deny');
  });
});
