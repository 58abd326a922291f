import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  certifiedClaimProblems,
  claimsRunProblems,
  githubProvenance,
  githubWorkflowClaims,
  localProvenance,
  LOCAL_BUILD_TYPE,
  type GitHubWorkflowClaims,
} from './github-provenance.js';
import { assertStatement } from '../record/statement.js';
import type { CertificateClaims } from '../../identity/signers/signer-identity.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const SUBJECTS = [{ name: 'dist/app.tar', digest: { sha256: 'ab'.repeat(32) } }];

/** A token payload as GitHub issues it for a job running a reusable workflow. */
const TOKEN = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo-org/octo-repo:ref:refs/tags/v1.2.0',
  repository: 'octo-org/octo-repo',
  repository_id: '123456',
  repository_owner: 'octo-org',
  repository_owner_id: '654321',
  repository_visibility: 'public',
  ref: 'refs/tags/v1.2.0',
  sha: SHA,
  workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.0',
  job_workflow_ref: 'octo-org/reusable/.github/workflows/build.yml@refs/heads/main',
  run_id: '42',
  run_attempt: '2',
  event_name: 'push',
  runner_environment: 'github-hosted',
};

const claims = (over: Record<string, unknown> = {}): GitHubWorkflowClaims =>
  githubWorkflowClaims({ ...TOKEN, ...over }, 'https://github.com/');

/** What Fulcio certifies from TOKEN (oid-info.md's mapping for GitHub Actions). */
const CERTIFIED: CertificateClaims = {
  issuer: TOKEN.iss,
  buildSignerURI: `https://github.com/${TOKEN.job_workflow_ref}`,
  runnerEnvironment: 'github-hosted',
  sourceRepositoryURI: 'https://github.com/octo-org/octo-repo',
  sourceRepositoryDigest: SHA,
  sourceRepositoryRef: 'refs/tags/v1.2.0',
  sourceRepositoryIdentifier: '123456',
  sourceRepositoryOwnerURI: 'https://github.com/octo-org',
  sourceRepositoryOwnerIdentifier: '654321',
  buildConfigURI: `https://github.com/${TOKEN.workflow_ref}`,
  buildTrigger: 'push',
  runInvocationURI: 'https://github.com/octo-org/octo-repo/actions/runs/42/attempts/2',
};

void describe('githubProvenance', () => {
  void it('is shaped field for field like actions/attest-build-provenance writes it', () => {
    const statement = githubProvenance(SUBJECTS, claims());
    assertStatement(statement, 'provenance');
    assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1');
    assert.deepEqual(statement.subject, SUBJECTS);
    assert.deepEqual(statement.predicate, {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {
          workflow: {
            ref: 'refs/tags/v1.2.0',
            repository: 'https://github.com/octo-org/octo-repo',
            path: '.github/workflows/release.yml',
          },
        },
        internalParameters: {
          github: {
            event_name: 'push',
            repository_id: '123456',
            repository_owner_id: '654321',
            runner_environment: 'github-hosted',
          },
        },
        resolvedDependencies: [
          {
            uri: 'git+https://github.com/octo-org/octo-repo@refs/tags/v1.2.0',
            digest: { gitCommit: SHA },
          },
        ],
      },
      runDetails: {
        builder: {
          id: 'https://github.com/octo-org/reusable/.github/workflows/build.yml@refs/heads/main',
        },
        metadata: {
          invocationId: 'https://github.com/octo-org/octo-repo/actions/runs/42/attempts/2',
        },
      },
    });
  });

  void it('keeps an @ inside the workflow ref (a changesets tag) in the ref', () => {
    const c = claims({
      workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/@scope/pkg@1.0.0',
    });
    const workflow = (
      githubProvenance(SUBJECTS, c).predicate as {
        buildDefinition: { externalParameters: { workflow: { ref: string; path: string } } };
      }
    ).buildDefinition.externalParameters.workflow;
    assert.equal(workflow.ref, 'refs/tags/@scope/pkg@1.0.0');
    assert.equal(workflow.path, '.github/workflows/release.yml');
  });
});

void describe('githubWorkflowClaims', () => {
  void it('names every missing or malformed claim in one error', () => {
    assert.throws(
      () => claims({ run_id: undefined, sha: 'not-a-commit', runner_environment: 7 }),
      (e: Error) =>
        /run_id/.test(e.message) &&
        /sha \(malformed\)/.test(e.message) &&
        /runner_environment/.test(e.message),
    );
  });

  void it('refuses a claim with a line break, which would forge text into URIs and logs', () => {
    assert.throws(() => claims({ ref: 'refs/heads/main\n::error::x' }), /claims ref/);
  });

  void it('refuses a workflow_ref outside the repository', () => {
    assert.throws(
      () => claims({ workflow_ref: 'evil/repo/.github/workflows/x.yml@main' }),
      /workflow_ref \(not in the repository\)/,
    );
  });
});

void describe('certifiedClaimProblems', () => {
  void it('finds nothing when Fulcio certified exactly the claims the provenance states', () => {
    assert.deepEqual(certifiedClaimProblems(claims(), CERTIFIED), []);
  });

  void it('names a claim certified differently (a certificate for another run or commit)', () => {
    const problems = certifiedClaimProblems(claims(), {
      ...CERTIFIED,
      sourceRepositoryDigest: 'f'.repeat(40),
      runInvocationURI: 'https://github.com/octo-org/octo-repo/actions/runs/43/attempts/1',
    });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /sourceRepositoryDigest is certified as f{40}/);
    assert.match(problems[1] ?? '', /runInvocationURI/);
  });

  void it('counts a claim the certificate lacks (fails closed on a bare certificate)', () => {
    const rest = { ...CERTIFIED };
    delete rest.buildSignerURI;
    assert.deepEqual(certifiedClaimProblems(claims(), rest), [
      'the certificate has no buildSignerURI',
    ]);
  });
});

void describe('claimsRunProblems', () => {
  const run = {
    repository: 'octo-org/octo-repo',
    workflowRef: TOKEN.workflow_ref,
    runId: '42',
    runAttempt: 2,
    commit: SHA,
  };
  void it('accepts the token of the run the chain is bound to', () => {
    assert.deepEqual(claimsRunProblems(claims(), run), []);
  });
  void it("names each difference from another run's token", () => {
    assert.deepEqual(claimsRunProblems(claims({ run_id: '7', sha: 'e'.repeat(40) }), run), [
      `the token's sha is ${'e'.repeat(40)}, the run's is ${SHA}`,
      "the token's run_id is 7, the run's is 42",
    ]);
  });
});

void describe('localProvenance', () => {
  void it('says in its build type and parameters that no platform vouches for the build', () => {
    const statement = localProvenance(SUBJECTS, {
      builderId: 'https://sathos.dev/cli@0.1.0',
      source: { uri: 'git+file:///src/app', commit: SHA },
      command: 'make dist',
      startedOn: new Date('2026-01-01T00:00:00Z'),
      finishedOn: new Date('2026-01-01T00:01:00Z'),
    });
    assertStatement(statement, 'local provenance');
    const p = statement.predicate as {
      buildDefinition: { buildType: string; internalParameters: { platform: string } };
      runDetails: { metadata: { finishedOn: string } };
    };
    assert.equal(p.buildDefinition.buildType, LOCAL_BUILD_TYPE);
    assert.match(p.buildDefinition.internalParameters.platform, /no build platform vouches/);
    assert.equal(p.runDetails.metadata.finishedOn, '2026-01-01T00:01:00.000Z');
  });

  void it('refuses a source that is not a URI or a commit that is not one', () => {
    const base = { builderId: 'https://sathos.dev/cli', source: { uri: 'x', commit: SHA } };
    assert.throws(() => localProvenance(SUBJECTS, base), /by URI/);
    assert.throws(
      () =>
        localProvenance(SUBJECTS, { ...base, source: { uri: 'git+file:///a', commit: 'HEAD' } }),
      /not a commit id/,
    );
  });
});
