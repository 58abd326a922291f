// The reusable pipeline's stages run by the local runner against the Sigstore and GitHub stand-ins:
// each job signs keyless as the workflow file that defines it, the chain travels as artifacts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  POLICY_COMMIT,
  POLICY_REPO,
  PipelineFixture,
  SATHOS,
  signerOf,
  sigstoreWith,
} from './pipeline-fixture.js';

function policy(f: PipelineFixture): string {
  return `apiVersion: sathos.dev/v1
kind: Policy
stages: [source]
identities:
${f.identitiesYaml({ source: '.github/workflows/sathos-source.yml' })}
commits:
  signers:
    allowedSigners: |
      ${f.allowedSigners}
`;
}

function sourceCaller(f: PipelineFixture): string {
  return `on: push
permissions: {}
jobs:
  source:
    permissions: { contents: read, id-token: write }
    uses: ${SATHOS}/.github/workflows/sathos-source.yml@SATHOS_SHA
    with:
      sathos-repository: ${SATHOS}
      sathos-ref: SATHOS_SHA
      policy: github:${POLICY_REPO}/policy.yaml@${POLICY_COMMIT}
${sigstoreWith(f)}
`;
}

void describe('the SATHOS source stage through the local runner', () => {
  const f = new PipelineFixture();
  before(() => f.start());
  after(() => f.dispose());

  void it('verifies the signed commit and signs the source record as the source workflow', async () => {
    const result = await f.run('source', {
      caller: sourceCaller(f),
      policy: policy(f),
      appFiles: { 'README.md': 'app\n' },
    });
    assert.equal(result.conclusion, 'success', JSON.stringify(result.jobs, null, 1));
    assert.deepEqual(result.tokenRequests, [{ job: 'source/source', audience: 'sigstore' }]);
    const chain = f.chain('source', 'sathos-chain-source');
    assert.ok(chain.length >= 1);
    assert.deepEqual(
      [...new Set(chain.map(signerOf))],
      [f.identity('.github/workflows/sathos-source.yml')],
    );
  });
});
