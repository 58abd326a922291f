// The whole reusable pipeline (sathos-pipeline.yml) run by the local runner: an honest run deploys
// with a token for the environment's audience; a chain altered between jobs, a pipeline without its
// test job, or a failing scan stops at the gate, and no token is ever requested for that audience
// (the runner's OIDC endpoint logs every request).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '@sathos/github/workflow-runner';
import {
  POLICY_COMMIT,
  POLICY_REPO,
  PipelineFixture,
  SATHOS,
  sigstoreWith,
} from './pipeline-fixture.js';
import { APP_FILES } from './app.js';

const DEPLOY_AUDIENCE = 'sathos-deploy:production';
const file = (stage: string) => `.github/workflows/sathos-${stage}.yml`;

function policy(f: PipelineFixture): string {
  const ids = {
    source: 'source',
    build: 'build',
    test: 'test',
    scan: 'scan',
    decision: 'deploy',
    deploy: 'deploy',
  };
  return `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, scan, decision, deploy]
identities:
${f.identitiesYaml(Object.fromEntries(Object.entries(ids).map(([stage, f2]) => [stage, file(f2)])))}
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.tests.result == 'PASSED'"
    message: the tests must pass
  - id: nothing-critical
    stage: scan
    expression: 'evidence.findings.critical == 0'
    message: no critical finding
environments:
  production:
    requiredStages: [source, build, test, scan, decision]
commits:
  signers:
    allowedSigners: |
      ${f.allowedSigners}
`;
}

function pipelineCaller(f: PipelineFixture): string {
  return `on: push
permissions: {}
jobs:
  release:
    permissions: { contents: read, id-token: write, attestations: write }
    uses: ${SATHOS}/.github/workflows/sathos-pipeline.yml@SATHOS_SHA
    with:
      sathos-repository: ${SATHOS}
      sathos-ref: SATHOS_SHA
      policy-repository: ${POLICY_REPO}
      policy-commit: ${POLICY_COMMIT}
      build-command: bash build.sh
      subject-path: dist/app.txt
      test-command: cp junit.xml.in junit.xml
      scan-command: cp scan.sarif.in scan.sarif
      environment: production
      approvals: none
      deploy-command: 'test -n "$SATHOS_DEPLOY_TOKEN" && echo deployed > "$RUNNER_TEMP/deployed"'
${sigstoreWith(f)}
`;
}

/** The pipeline with its test and scan jobs cut out, the deploy reading the build's chain. */
function withoutTests(files: Record<string, string>): Record<string, string> {
  const pipeline = files['.github/workflows/sathos-pipeline.yml'] ?? '';
  const jobs = pipeline.split(/\n(?= {2}[a-z]+:\n)/);
  const kept = jobs.filter((block) => !/^ {2}(test|scan):\n/.test(block)).join('\n');
  const variant = kept
    .replace('needs: scan', 'needs: build')
    .replace('previous-stage: scan', 'previous-stage: build');
  assert.notEqual(variant, pipeline);
  return { '.github/workflows/sathos-pipeline-without-tests.yml': variant };
}

const deployTokens = (r: RunResult) =>
  r.tokenRequests.filter((t) => t.audience === DEPLOY_AUDIENCE);

void describe('the reusable pipeline, gate and deploy, through the local runner', () => {
  const f = new PipelineFixture();
  before(() => f.start(withoutTests));
  after(() => f.dispose());

  void it('deploys an honest run with a token for the environment, requested by the deploy job only', async () => {
    const result = await f.run('honest', {
      caller: pipelineCaller(f),
      policy: policy(f),
      appFiles: APP_FILES(),
    });
    assert.equal(result.conclusion, 'success', JSON.stringify(result.jobs, null, 1));
    assert.deepEqual(deployTokens(result), [
      { job: 'release/deploy/deploy', audience: DEPLOY_AUDIENCE },
    ]);
    const chain = f.chain('honest', 'sathos-chain-deploy');
    assert.ok(chain.length >= 6);
  });

  void it('stops at the gate when the chain is altered between jobs, and asks for no deploy token', async () => {
    const result = await f.run(
      'altered',
      { caller: pipelineCaller(f), policy: policy(f), appFiles: APP_FILES() },
      (job, artifacts) => {
        if (job !== 'release/scan/scan') return;
        // Drop the test stage's records from the chain the scan job handed on.
        const path = join(artifacts, 'sathos-chain-scan', 'chain.jsonl');
        const lines = readFileSync(path, 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        writeFileSync(path, `${[...lines.slice(0, 3), ...lines.slice(5)].join('\n')}\n`);
      },
    );
    assert.equal(
      result.jobs['release/deploy/deploy']?.result,
      'failure',
      JSON.stringify(result.jobs, null, 1),
    );
    assert.deepEqual(deployTokens(result), []);
  });

  void it('stops at the gate when the pipeline runs without its test and scan jobs', async () => {
    const skipping = pipelineCaller(f).replace(
      'sathos-pipeline.yml',
      'sathos-pipeline-without-tests.yml',
    );
    const result = await f.run('no-tests', {
      caller: skipping,
      policy: policy(f),
      appFiles: APP_FILES(),
    });
    assert.equal(
      result.jobs['release/deploy/deploy']?.result,
      'failure',
      JSON.stringify(result.jobs, null, 1),
    );
    assert.match(JSON.stringify(result.jobs['release/deploy/deploy']), /test|required/);
    assert.deepEqual(deployTokens(result), []);
  });

  void it('never reaches the deploy after a failing scan, and asks for no deploy token', async () => {
    const result = await f.run('critical', {
      caller: pipelineCaller(f),
      policy: policy(f),
      appFiles: APP_FILES(true),
    });
    assert.equal(result.jobs['release/scan/scan']?.result, 'failure');
    assert.notEqual(result.jobs['release/deploy/deploy']?.result, 'success');
    assert.deepEqual(deployTokens(result), []);
  });
});
