// A realistic claim set of a GitHub Actions OIDC token, for tests that need one.
// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
import { GITHUB_ACTIONS_ISSUER, type TokenClaims } from './stand-in-oidc.js';

export interface GitHubRunClaims {
  readonly repository?: string;
  readonly workflowPath?: string;
  readonly ref?: string;
  readonly sha?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
  readonly eventName?: string;
  readonly runnerEnvironment?: string;
}

/** Claims as GitHub issues them for one job; override any field. */
export function githubActionsClaims(run: GitHubRunClaims = {}): TokenClaims {
  const repository = run.repository ?? 'octo-org/octo-repo';
  const ref = run.ref ?? 'refs/heads/main';
  const sha = run.sha ?? '0123456789abcdef0123456789abcdef01234567';
  const workflowRef = `${repository}/${run.workflowPath ?? '.github/workflows/release.yml'}@${ref}`;
  return {
    iss: GITHUB_ACTIONS_ISSUER,
    sub: `repo:${repository}:ref:${ref}`,
    aud: 'sigstore',
    repository,
    repository_owner: repository.split('/')[0] ?? repository,
    repository_id: '123456',
    repository_owner_id: '654321',
    repository_visibility: 'public',
    ref,
    sha,
    workflow: 'release',
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    run_id: run.runId ?? '42',
    run_attempt: run.runAttempt ?? '1',
    event_name: run.eventName ?? 'push',
    runner_environment: run.runnerEnvironment ?? 'github-hosted',
  };
}
