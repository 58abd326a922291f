// Who a job is, as GitHub says it in the job's OIDC token: the run's repository, ref and commit,
// the top-level workflow (workflow_ref), and the file that defines THIS job (job_workflow_ref) —
// the claim Fulcio certifies as the signer. GitHub's token has no per-job claim beyond these, so
// two jobs get different certified identities exactly when they are defined in different
// workflow files: a pipeline that wants each stage to sign as itself gives each stage its own
// reusable workflow (docs/adoption.md).
import type { JobClaims } from './oidc-endpoint.js';

/** The issuer GitHub Actions tokens carry. */
export const ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

export interface RunIdentity {
  readonly repository: string;
  readonly ref: string;
  readonly sha: string;
  readonly runId: string;
  readonly runAttempt: string;
  readonly eventName: string;
  /** `owner/name/.github/workflows/x.yml@ref` of the top-level workflow. */
  readonly workflowRef: string;
  readonly workflowName: string;
  readonly visibility: string;
  /** GitHub's numeric ids of the repository and its owner. */
  readonly repositoryId: string;
  readonly ownerId: string;
}

export interface JobIdentity {
  /** `owner/name/path@ref` of the file that defines the job. */
  readonly jobWorkflowRef: string;
  readonly jobWorkflowSha: string;
  readonly environment?: string;
}

/** `v1.2.3` for `refs/tags/v1.2.3`, `main` for `refs/heads/main`, as GitHub sets ref_name. */
export function refName(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** `tag` or `branch`, as GitHub sets ref_type (and the token's ref_type claim). */
export function refType(ref: string): 'tag' | 'branch' {
  return ref.startsWith('refs/tags/') ? 'tag' : 'branch';
}

/** The claims of the job's token (aud is the audience each request names). */
export function jobClaims(run: RunIdentity, job: JobIdentity): JobClaims {
  const owner = run.repository.split('/')[0] ?? run.repository;
  const sub =
    job.environment === undefined
      ? `repo:${run.repository}:ref:${run.ref}`
      : `repo:${run.repository}:environment:${job.environment}`;
  return {
    iss: ACTIONS_ISSUER,
    sub,
    repository: run.repository,
    repository_owner: owner,
    repository_id: run.repositoryId,
    repository_owner_id: run.ownerId,
    ref_type: refType(run.ref),
    repository_visibility: run.visibility,
    ref: run.ref,
    sha: run.sha,
    workflow: run.workflowName,
    workflow_ref: run.workflowRef,
    workflow_sha: run.sha,
    job_workflow_ref: job.jobWorkflowRef,
    job_workflow_sha: job.jobWorkflowSha,
    run_id: run.runId,
    run_attempt: run.runAttempt,
    event_name: run.eventName,
    runner_environment: 'self-hosted', // as runner.environment: this machine runs the job
    ...(job.environment === undefined ? {} : { environment: job.environment }),
  };
}
