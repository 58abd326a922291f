import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobClaims, refName, refType } from './identity.js';

void describe('the run identity as GitHub states it', () => {
  void it('names a ref as github.ref_name and ref_type do', () => {
    assert.equal(refName('refs/tags/v1.2.3'), 'v1.2.3');
    assert.equal(refType('refs/tags/v1.2.3'), 'tag');
    assert.equal(refName('refs/heads/feature/x'), 'feature/x');
    assert.equal(refType('refs/heads/main'), 'branch');
  });

  void it('gives a job behind an environment the environment subject and a tag ref_type', () => {
    const claims = jobClaims(
      {
        repository: 'o/r',
        ref: 'refs/tags/v1.0.0',
        sha: 'a'.repeat(40),
        runId: '1',
        runAttempt: '1',
        eventName: 'push',
        workflowRef: 'o/r/.github/workflows/release.yml@refs/tags/v1.0.0',
        workflowName: 'release',
        visibility: 'public',
        repositoryId: '1',
        ownerId: '1',
      },
      {
        jobWorkflowRef: 'o/r/.github/workflows/release.yml@refs/tags/v1.0.0',
        jobWorkflowSha: 'a'.repeat(40),
        environment: 'release',
      },
    );
    assert.equal(claims.sub, 'repo:o/r:environment:release');
    assert.equal(claims.ref_type, 'tag');
    assert.equal(claims.environment, 'release');
  });
});
