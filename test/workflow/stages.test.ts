// The pipeline's signing stages (source → build → test → scan) run by the local runner: each job
// signs keyless as its own stage workflow, the chain and the artifacts travel between jobs as
// workflow artifacts, and an artifact swapped between jobs or a failing scan stops the chain.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_FILES, policyFor } from './app.js';
import {
  POLICY_COMMIT,
  POLICY_REPO,
  PipelineFixture,
  SATHOS,
  signerOf,
  sigstoreWith,
} from './pipeline-fixture.js';

const STAGES = ['source', 'build', 'test', 'scan'] as const;
const file = (stage: string) => `.github/workflows/sathos-${stage}.yml`;

function stageJob(
  f: PipelineFixture,
  stage: string,
  needs: string | undefined,
  extra: string,
): string {
  const permissions =
    stage === 'source'
      ? '{ contents: read, id-token: write }'
      : '{ contents: read, id-token: write, attestations: write }';
  return `  ${stage}:
${needs === undefined ? '' : `    needs: ${needs}\n`}    permissions: ${permissions}
    uses: ${SATHOS}/${file(stage)}@SATHOS_SHA
    with:
      sathos-repository: ${SATHOS}
      sathos-ref: SATHOS_SHA
      policy: github:${POLICY_REPO}/policy.yaml@${POLICY_COMMIT}
${sigstoreWith(f)}
${extra}`;
}

/** A caller running the signing stages directly (the pipeline minus its deploy stage). */
export function stagesCaller(f: PipelineFixture): string {
  const art = '      artifact-path: dist\n      subject-path: dist/*\n';
  return `on: push
permissions: {}
jobs:
${stageJob(f, 'source', undefined, '')}
${stageJob(f, 'build', 'source', `      build-command: bash build.sh\n${art}`)}
${stageJob(f, 'test', 'build', `      command: cp junit.xml.in junit.xml\n      report: junit.xml\n${art}`)}
${stageJob(f, 'scan', 'test', `      command: cp scan.sarif.in scan.sarif\n      report: scan.sarif\n${art}`)}
`;
}

void describe('the signing stages of the pipeline through the local runner', () => {
  const f = new PipelineFixture();
  before(() => f.start());
  after(() => f.dispose());
  const policy = () => policyFor(f, Object.fromEntries(STAGES.map((s) => [s, file(s)])));

  void it('chains source, build, test and scan, each signed by its own stage workflow', async () => {
    const result = await f.run('honest', {
      caller: stagesCaller(f),
      policy: policy(),
      appFiles: APP_FILES(),
    });
    assert.equal(result.conclusion, 'success', JSON.stringify(result.jobs, null, 1));
    assert.deepEqual(
      result.tokenRequests.map((r) => r.job),
      STAGES.map((s) => `${s}/${s}`),
    );
    const chain = f.chain('honest', 'sathos-chain-scan');
    const signers = new Set(chain.map(signerOf));
    assert.deepEqual([...signers].sort(), STAGES.map((s) => f.identity(file(s))).sort());
  });

  void it('stops when the built artifact is swapped between the build and test jobs', async () => {
    const result = await f.run(
      'swapped',
      { caller: stagesCaller(f), policy: policy(), appFiles: APP_FILES() },
      (job, artifacts) => {
        if (job === 'build/build')
          writeFileSync(join(artifacts, 'sathos-artifacts', 'app.txt'), 'something else\n');
      },
    );
    assert.equal(result.jobs['build/build']?.result, 'success');
    // The test step records the files it was handed; the next step to verify the chain refuses a
    // record whose subject no build record named (and so would the gate).
    const refused = Object.entries(result.jobs).find(
      ([, r]) => r.result === 'failure' && r.errors.length > 0,
    );
    assert.ok(refused !== undefined, JSON.stringify(result.jobs, null, 1));
    assert.match(refused[1].errors.join('\n'), /SUBJECT_DISCONTINUITY: .*not what was built/);
    assert.equal(result.conclusion, 'failure');
  });

  void it('stops at the scan when the policy denies its critical finding', async () => {
    const result = await f.run('critical', {
      caller: stagesCaller(f),
      policy: policy(),
      appFiles: APP_FILES(true),
    });
    assert.equal(result.jobs['test/test']?.result, 'success');
    assert.equal(result.jobs['scan/scan']?.result, 'failure');
    assert.match(JSON.stringify(result.jobs['scan/scan']), /nothing-critical|no critical finding/);
  });

  void it('tells the jobs apart: a policy letting only the build workflow sign the scan denies the scan job', async () => {
    const stages = Object.fromEntries(STAGES.map((s) => [s, file(s === 'scan' ? 'build' : s)]));
    const result = await f.run('identity', {
      caller: stagesCaller(f),
      policy: policyFor(f, stages),
      appFiles: APP_FILES(),
    });
    assert.equal(result.jobs['build/build']?.result, 'success');
    assert.equal(result.jobs['scan/scan']?.result, 'failure');
    assert.match(JSON.stringify(result.jobs['scan/scan']), /sathos:identity|not allowed|signer/);
  });
});
