// The demo's policy: every stage, in order, each signed by the key generated for the demo, each
// decided by rules that read the stage's standard evidence (docs/policy.md).
import { BUILTIN_STAGES } from '@sathos/core';

export const DEMO_ENVIRONMENT = 'demo';

/** The demo's rules: each stage's evidence says it went well, and nothing deploys without an allow. */
const DEMO_RULES = `rules:
  - id: commit-signature-verified
    stage: source
    expression: "evidence.commitSignatures.commits.all(c, c.verdict == 'verified')"
    message: every commit of the run carries a verified signature
  - id: built-from-run-commit
    stage: build
    expression: "evidence.provenance.buildDefinition.resolvedDependencies.exists(d, d.digest.gitCommit == run.commit)"
    message: the build's provenance names the commit the run is about
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
  - id: nothing-critical
    stage: scan
    expression: "evidence.vulns.scanner.result.all(f, f.severity.all(s, !(s.score in ['CRITICAL', 'HIGH'])))"
    message: the scan found nothing high or critical
  - id: checks-allowed
    stage: decision
    expression: "['source', 'build', 'test', 'scan'].all(s, records.exists(r, r.stage == s && r.policy.decision == 'allow'))"
    message: the gate decides only after every earlier stage was allowed
  - id: deploy-after-allow
    stage: deploy
    expression: "records.exists(r, r.stage == 'decision' && r.policy.decision == 'allow' && r.evidence.verificationSummary.verificationResult == 'PASSED')"
    message: deploy only after the gate allowed it
environments:
  ${DEMO_ENVIRONMENT}:
    requiredStages: [source, build, test, scan, decision]
    description: the demo's local deployment directory
    anomalies: deny # a step the supervisor flagged stops the gate (docs/gate.md)
`;

/** The stages only the gate's own key may sign. */
const GATE_STAGES: readonly string[] = ['decision', 'deploy'];

export function demoPolicy(keyId: string, gateKeyId: string): string {
  const identities = BUILTIN_STAGES.map(
    (s) => `  ${s}: [{ keyId: "${GATE_STAGES.includes(s) ? gateKeyId : keyId}" }]`,
  ).join('\n');
  return [
    '# The demo policy: every stage, in order; the pipeline key generated for this demo signs the',
    '# source to the scan, the gate key alone the decision and the deploy; each step is decided by',
    '# the rules below before it acts (docs/policy.md).',
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    `stages: [${BUILTIN_STAGES.join(', ')}]`,
    'identities:',
    identities,
    DEMO_RULES,
  ].join('\n');
}
