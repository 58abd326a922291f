// What the demo's workflow run is about: the application's files (a build, a test that writes its
// JUnit report, a scan's SARIF report), its release workflow calling the reusable pipeline pinned
// by commit, and the policy that lets each stage be signed only by its own stage workflow.
import { ACTIONS_ISSUER } from '@sathos/github/workflow-runner';
import { SATHOS_REPOSITORY } from './sathos-checkout.js';

export const APP_REPOSITORY = 'demo-org/hello-sathos';
export const POLICY_REPOSITORY = 'demo-org/policies';
export const POLICY_COMMIT = 'de0000000000000000000000000000000000de01';
export const ARTIFACT = 'dist/hello-sathos.txt';

const JUNIT =
  '<testsuite name="hello" tests="1" failures="0"><testcase name="hello world"/></testsuite>\n';
const SARIF = JSON.stringify({
  version: '2.1.0',
  runs: [
    {
      tool: {
        driver: {
          name: 'demo-scanner',
          rules: [{ id: 'DEMO-1', properties: { 'security-severity': '2.0' } }],
        },
      },
      results: [{ ruleId: 'DEMO-1', message: { text: 'a low finding' } }],
    },
  ],
});

/** The application beside the demo's source files: what its build, tests and scan run. */
export function appFiles(trustedRoot: string): Record<string, string> {
  return {
    'build.sh': `set -e\nmkdir -p dist\nnode -e "import('./src/hello.js').then((m) => console.log(m.hello('world')))" > ${ARTIFACT}\n`,
    'test.sh': 'set -e\nnode test/hello.test.js\ncp test/junit.xml.in junit.xml\n',
    'test/junit.xml.in': JUNIT,
    'scan.sarif.in': SARIF,
    // The Sigstore stand-ins' root, committed so each stage verifies against exactly it.
    'trusted_root.json': trustedRoot,
  };
}

/** Single-quoted for bash. */
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export interface Sigstore {
  readonly fulcioURL: string;
  readonly rekorURL: string;
  readonly tsaURL: string;
}

/** The application's release workflow: the pipeline at `sathosSha`, deploying into `deployDir`. */
export function releaseWorkflow(
  sathosSha: string,
  environment: string,
  deployDir: string,
  s: Sigstore,
): string {
  const deploy = `test -n "$SATHOS_DEPLOY_TOKEN" && mkdir -p ${quote(deployDir)} && cp ${ARTIFACT} ${quote(deployDir)}/`;
  return `on: push
permissions: {}
jobs:
  release:
    permissions: { contents: read, id-token: write, attestations: write }
    uses: ${SATHOS_REPOSITORY}/.github/workflows/sathos-pipeline.yml@${sathosSha}
    with:
      sathos-repository: ${SATHOS_REPOSITORY}
      sathos-ref: ${sathosSha}
      policy-repository: ${POLICY_REPOSITORY}
      policy-commit: ${POLICY_COMMIT}
      build-command: bash build.sh
      subject-path: ${ARTIFACT}
      test-command: bash test.sh
      scan-command: cp scan.sarif.in scan.sarif
      environment: ${environment}
      approvals: none
      deploy-command: ${JSON.stringify(deploy)}
      fulcio-url: ${s.fulcioURL}
      rekor-url: ${s.rekorURL}
      tsa-url: ${s.tsaURL}
      trusted-root: trusted_root.json
`;
}

/** The identity Fulcio certifies for a job defined in SATHOS's `sathos-<file>.yml`. */
export function stageIdentity(sathosSha: string, file: string): string {
  return `https://github.com/${SATHOS_REPOSITORY}/.github/workflows/sathos-${file}.yml@${sathosSha}`;
}

/** Which stage workflow alone may sign each stage: the gate and the deploy are the deploy job's. */
const SIGNERS = {
  source: 'source',
  build: 'build',
  test: 'test',
  scan: 'scan',
  decision: 'deploy',
  deploy: 'deploy',
} as const;

/**
 * `gateKeyId` may also sign the decision: the key demo.json's gate command signs with, so the gate
 * can be re-run offline once the stand-ins are gone. It can sign nothing else, the deploy least.
 */
export function workflowPolicy(
  sathosSha: string,
  environment: string,
  allowedSigners: string,
  gateKeyId: string,
): string {
  const identities = Object.entries(SIGNERS)
    .map(([stage, file]) =>
      [
        `  ${stage}:`,
        `    - { issuer: '${ACTIONS_ISSUER}', subject: '${stageIdentity(sathosSha, file)}' }`,
        ...(stage === 'decision' ? [`    - { keyId: '${gateKeyId}' }`] : []),
      ].join('\n'),
    )
    .join('\n');
  return `# The demo policy: every stage in order, each signed only by its own stage workflow of the
# SATHOS release the pipeline runs (the gate's decision and the deploy by the deploy job's), each
# decided by the rules below before it acts (docs/policy.md). The one key listed lets the gate
# command in demo.json decide again offline; it may sign no other stage.
apiVersion: sathos.dev/v1
kind: Policy
stages: [${Object.keys(SIGNERS).join(', ')}]
identities:
${identities}
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.tests.result == 'PASSED'"
    message: the tests must pass
  - id: nothing-critical
    stage: scan
    expression: 'evidence.findings.critical == 0'
    message: the scan found nothing critical
environments:
  ${environment}:
    requiredStages: [source, build, test, scan, decision]
    description: the demo's local deployment directory
commits:
  signers:
    allowedSigners: |
      ${allowedSigners.trim()}
`;
}
