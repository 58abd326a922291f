// The application the pipeline tests build: a build script, a JUnit report the tests "write", a
// SARIF report the scan "writes" (with or without a critical finding), and a policy for its stages.
import type { PipelineFixture } from './pipeline-fixture.js';

export const JUNIT =
  '<testsuite name="app" tests="1" failures="0"><testcase name="works"/></testsuite>\n';
const SARIF = (critical: boolean) =>
  JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'scanner',
            rules: [{ id: 'CVE-1', properties: { 'security-severity': critical ? '9.8' : '2.0' } }],
          },
        },
        results: [{ ruleId: 'CVE-1', message: { text: 'a finding' } }],
      },
    ],
  });

export const APP_FILES = (critical = false): Record<string, string> => ({
  'README.md': 'app\n',
  'build.sh': 'set -e\nmkdir -p dist\necho "hello from the build" > dist/app.txt\n',
  'junit.xml.in': JUNIT,
  'scan.sarif.in': SARIF(critical),
});

export function policyFor(f: PipelineFixture, stages: Record<string, string>): string {
  return `apiVersion: sathos.dev/v1
kind: Policy
stages: [${Object.keys(stages).join(', ')}]
identities:
${f.identitiesYaml(stages)}
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.tests.result == 'PASSED'"
    message: the tests must pass
  - id: nothing-critical
    stage: scan
    expression: 'evidence.findings.critical == 0'
    message: no critical finding
commits:
  signers:
    allowedSigners: |
      ${f.allowedSigners}
`;
}
