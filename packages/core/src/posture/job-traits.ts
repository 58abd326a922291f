// What a job or step is, as the baseline rules (findings.ts) and the policy's `workflow` variable
// (workflow-input.ts) judge it: its triggers, whether it checks out a pull request's head, releases,
// restores a cache another run could write, or holds something worth stealing. Pure functions of the
// posture model.
import { isUntrustedRef } from './contexts.js';
import type { JobModel, PostureModel, StepModel } from './model.js';
import { writeScopes } from './permissions.js';
import { actionName } from './uses.js';

/** Triggers that run with the base repository's token and secrets on an outsider's event. */
export const PRIVILEGED_TRIGGERS: ReadonlySet<string> = new Set([
  'pull_request_target',
  'workflow_run',
  'issue_comment',
  'pull_request_review_comment',
  'discussion_comment',
]);

/** Triggers an outsider can cause (a fork's pull request, a comment, an issue). */
export const OUTSIDER_TRIGGERS: ReadonlySet<string> = new Set([
  ...PRIVILEGED_TRIGGERS,
  'pull_request',
  'pull_request_review',
  'issues',
  'discussion',
  'fork',
  'watch',
]);

export const CHECKOUT = 'actions/checkout';
/** Shell commands that fetch a pull request's head into the workspace. */
const SHELL_CHECKOUT =
  /\bgh\s+pr\s+checkout\b|\bgit\s+(?:fetch|checkout|pull)\b[^\n]*\brefs\/pull\//;
/** Setup actions that restore a cache when their `cache` input names a package manager. */
const CACHE_INPUT_ACTIONS = new Set([
  'actions/setup-node',
  'actions/setup-python',
  'actions/setup-java',
  'actions/setup-dotnet',
  'actions/setup-go',
]);
/** Actions that restore a cache unless told not to (setup-go from v4 on, rust-cache always). */
const CACHE_BY_DEFAULT = new Set(['actions/setup-go', 'swatinem/rust-cache']);
const RELEASE_NAME = /release|publish|deploy|\bship\b/i;
const RELEASE_ACTIONS = new Set([
  'softprops/action-gh-release',
  'pypa/gh-action-pypi-publish',
  'docker/build-push-action',
  'actions/deploy-pages',
  'goreleaser/goreleaser-action',
  'ncipollo/release-action',
]);
const RELEASE_COMMANDS =
  /\b(?:npm|yarn|pnpm)\s+publish\b|\bdocker\s+push\b|\bgh\s+release\b|\btwine\s+upload\b|\bcargo\s+publish\b|\bgem\s+push\b|\bmvn\b[^\n]*\bdeploy\b/;

/** The triggers of the workflow a job runs under. */
export function jobTriggers(model: PostureModel, job: JobModel): string[] {
  return (model.files.find((f) => f.path === job.workflow)?.triggers ?? []).map((t) => t.event);
}

export const isAction = (step: StepModel, name: string): boolean =>
  step.uses !== undefined && step.uses.kind !== 'local' && actionName(step.uses) === name;

export const inputText = (step: StepModel, name: string): string | undefined =>
  step.with[name]?.text.trim().toLowerCase();

/**
 * Artifacts of the run that triggered a workflow_run (`run-id: ${{ github.event.workflow_run.id }}`):
 * that run built the pull request's code, so what it uploaded is the author's (artifact poisoning).
 */
function downloadsRunArtifacts(step: StepModel): boolean {
  if (step.uses === undefined || step.uses.kind === 'local') return false;
  const name = actionName(step.uses);
  if (name !== 'actions/download-artifact' && name !== 'dawidd6/action-download-artifact')
    return false;
  return Object.values(step.with).some((input) =>
    input.reads.some((r) => r.path.startsWith('github.event.workflow_run.')),
  );
}

/** Steps that fetch a pull request's untrusted head (actions/checkout of its ref, `gh pr checkout`). */
export function untrustedCheckouts(job: JobModel): StepModel[] {
  return job.steps.filter((step) => {
    if (step.run !== undefined) return SHELL_CHECKOUT.test(step.run);
    if (downloadsRunArtifacts(step)) return true;
    if (!isAction(step, CHECKOUT)) return false;
    const ref = step.with.ref;
    const repo = step.with.repository;
    return (
      (ref !== undefined &&
        (ref.reads.some((r) => isUntrustedRef(r.path)) || /refs\/pull\//.test(ref.text))) ||
      (repo !== undefined && repo.reads.some((r) => isUntrustedRef(r.path)))
    );
  });
}

/** Publishes, releases or deploys: by name, environment, grants, or what its steps run. */
export function isReleaseJob(job: JobModel): boolean {
  if (RELEASE_NAME.test(job.id) || job.environment !== undefined) return true;
  if (job.permissions.source !== 'default') {
    const writes = writeScopes(job.permissions.scopes);
    if (writes.includes('id-token') || writes.includes('contents') || writes.includes('packages'))
      return true;
  }
  return job.steps.some(
    (s) =>
      (s.uses !== undefined && RELEASE_ACTIONS.has(actionName(s.uses))) ||
      (s.run !== undefined && RELEASE_COMMANDS.test(s.run)),
  );
}

/** Restores a cache another run could have written: actions/cache, or a setup action's cache. */
export function usesCache(step: StepModel): boolean {
  if (step.uses === undefined || step.uses.kind === 'local') return false;
  const name = actionName(step.uses);
  if (name === 'actions/cache' || name.startsWith('actions/cache/')) return !name.endsWith('/save');
  const cache = inputText(step, 'cache') ?? inputText(step, 'enable-cache');
  if (CACHE_BY_DEFAULT.has(name)) return cache !== 'false';
  return CACHE_INPUT_ACTIONS.has(name) && cache !== undefined && cache !== '' && cache !== 'false';
}

/** Holds something worth stealing: a secret, a write scope, or the OIDC token. */
export function jobHoldsPower(job: JobModel): boolean {
  return job.secrets.length > 0 || writeScopes(job.permissions.scopes).length > 0;
}
