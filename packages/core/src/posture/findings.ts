// The baseline rules: each finding names a weakness a real attack used, where it is (file, line,
// job) and how to fix it. Pure: a finding is a function of the posture model alone.
import { contextTaint, isUntrustedRef } from './contexts.js';
import type { ContextRead, JobModel, PostureModel, StepModel, UsesRef } from './model.js';
import { writeScopes } from './permissions.js';
import { actionName } from './uses.js';
import type { FindingRule } from '../policy/document/posture.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface PostureFinding {
  readonly rule: FindingRule;
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The job's id (`caller/called` inside a called workflow). */
  readonly job: string;
  /** What is wrong, in one line. */
  readonly message: string;
  /** What to change, in one line. */
  readonly fix: string;
}

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

const CHECKOUT = 'actions/checkout';
const GITHUB_SCRIPT = 'actions/github-script';
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

type Emit = (
  rule: FindingRule,
  severity: Severity,
  at: { file: string; line: number; col: number },
  message: string,
  fix: string,
) => void;

/** The triggers of the workflow a job runs under. */
export function jobTriggers(model: PostureModel, job: JobModel): string[] {
  return (model.files.find((f) => f.path === job.workflow)?.triggers ?? []).map((t) => t.event);
}

const isAction = (step: StepModel, name: string): boolean =>
  step.uses !== undefined && step.uses.kind !== 'local' && actionName(step.uses) === name;

const inputText = (step: StepModel, name: string): string | undefined =>
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

function injectionReads(step: StepModel): { reads: readonly ContextRead[]; sink: string } {
  if (step.run !== undefined) return { reads: step.runReads, sink: 'run:' };
  if (isAction(step, GITHUB_SCRIPT))
    return { reads: step.with.script?.reads ?? [], sink: `${GITHUB_SCRIPT}'s script:` };
  return { reads: [], sink: '' };
}

function injectionFindings(job: JobModel, emit: Emit): void {
  for (const step of job.steps) {
    const { reads, sink } = injectionReads(step);
    for (const read of reads) {
      const taint = contextTaint(read.path);
      if (taint === 'none') continue;
      emit(
        'expression-injection',
        taint === 'attacker' ? 'high' : 'medium',
        { file: step.file, line: read.line, col: read.col },
        `\${{ ${read.path} }} is spliced into ${sink}: ${taint === 'attacker' ? 'its author' : 'whoever triggers the event'} can write shell code into it`,
        `pass it through env: (e.g. env: VALUE: \${{ ${read.path} }}) and use "$VALUE" in the script`,
      );
    }
  }
}

function pinFinding(
  uses: UsesRef,
  at: { file: string; line: number; col: number },
  emit: Emit,
): void {
  if (uses.pinned || uses.kind === 'local') return;
  const what =
    uses.kind === 'docker'
      ? 'an image tag'
      : `a ${uses.kind === 'short-sha' ? 'short SHA' : uses.kind}`;
  const fix =
    uses.kind === 'docker'
      ? 'pin the image by digest: docker://image@sha256:<digest>'
      : `pin the full commit SHA the ref names today: ${uses.repository ?? ''}${uses.path === undefined || uses.path === '' ? '' : `/${uses.path}`}@<40-hex sha> # ${uses.ref ?? ''}`;
  if (uses.firstParty)
    emit(
      'unpinned-first-party-action',
      'low',
      at,
      `${uses.raw} is pinned by ${what}, which its owner can move`,
      fix,
    );
  else
    emit(
      'unpinned-action',
      'high',
      at,
      `${uses.raw} is pinned by ${what}: whoever controls ${uses.repository ?? 'the image'} can move it to new code that runs with this job's token and secrets`,
      fix,
    );
}

function permissionFindings(job: JobModel, emit: Emit): void {
  const p = job.permissions;
  const at = { file: job.file, line: p.line ?? job.line, col: p.line === undefined ? job.col : 1 };
  // A job of a called workflow that declares nothing runs with its caller's token: judged at the caller.
  if (job.workflow !== job.file && (p.source === 'caller' || p.source === 'default')) return;
  if (p.source === 'default') {
    emit(
      'token-default-permissions',
      'medium',
      at,
      `job ${job.id} declares no permissions, so its token gets the repository default (up to write on every scope)`,
      'add permissions: {} at the top of the workflow and grant each job only the scopes it uses',
    );
    return;
  }
  const writes = writeScopes(p.scopes);
  if (p.shorthand === 'write-all') {
    emit(
      'token-write-all',
      'high',
      at,
      `job ${job.id}'s token may write to every scope (write-all)`,
      'replace write-all with the few scopes the job writes, e.g. permissions: {contents: read}',
    );
    return;
  }
  if (p.source === 'workflow' && writes.length > 0)
    emit(
      'token-workflow-write',
      'medium',
      at,
      `the workflow grants ${writes.join(', ')}: write to every job, including ${job.id}`,
      'set permissions: {} (or read) at the workflow level and grant writes in the one job that needs them',
    );
}

function stepFindings(job: JobModel, emit: Emit): void {
  const release = isReleaseJob(job);
  for (const step of job.steps) {
    const at = { file: step.file, line: step.line, col: step.col };
    if (step.uses !== undefined) pinFinding(step.uses, at, emit);
    if (isAction(step, CHECKOUT) && inputText(step, 'persist-credentials') !== 'false')
      emit(
        'persist-credentials',
        'medium',
        at,
        'actions/checkout leaves the token in .git/config for every later step (and any upload of the workspace)',
        'add with: {persist-credentials: false}; pass a token explicitly to the one step that pushes',
      );
    if (release && usesCache(step))
      emit(
        'cache-in-release',
        'high',
        at,
        `release job ${job.id} restores a cache (${step.uses?.raw ?? ''}) that any run on the repository, a pull request's included, could have poisoned`,
        'build releases without caches (remove the cache step or set cache: false)',
      );
  }
}

function triggerFindings(model: PostureModel, job: JobModel, emit: Emit): void {
  const triggers = jobTriggers(model, job);
  const privileged = triggers.filter((t) => PRIVILEGED_TRIGGERS.has(t));
  if (privileged.length > 0) {
    const holds = jobHoldsPower(job);
    for (const step of untrustedCheckouts(job))
      emit(
        'untrusted-checkout',
        holds ? 'critical' : 'high',
        { file: step.file, line: step.line, col: step.col },
        `${privileged.join(', ')} runs with the base repository's token${holds ? ' and secrets' : ''}, and this step fetches the pull request's code or the artifacts its run built, which later steps use`,
        'check out only the base ref here, or move the build to a pull_request workflow without secrets and pass results as artifacts',
      );
  }
  const outsider = triggers.filter((t) => OUTSIDER_TRIGGERS.has(t));
  if (job.selfHosted && outsider.length > 0)
    emit(
      'self-hosted-untrusted',
      'high',
      { file: job.file, line: job.line, col: job.col },
      `job ${job.id} runs on a self-hosted runner (${job.runsOn.join(', ')}) for ${outsider.join(', ')}, which outsiders can trigger; their code persists on the machine`,
      'run outsider-triggered jobs on GitHub-hosted runners, or on ephemeral self-hosted runners reserved for them',
    );
  if (job.calls !== undefined && job.calls.kind !== 'local' && job.secrets.includes('*'))
    emit(
      'secrets-inherit',
      'medium',
      { file: job.file, line: job.line, col: job.col },
      `job ${job.id} hands every secret of the repository to ${job.calls.raw} (secrets: inherit)`,
      'pass only the secrets the called workflow declares: secrets: {NAME: ${{ secrets.NAME }}}',
    );
}

/** Holds something worth stealing: a secret, a write scope, or the OIDC token. */
export function jobHoldsPower(job: JobModel): boolean {
  return job.secrets.length > 0 || writeScopes(job.permissions.scopes).length > 0;
}

/** Every finding of the baseline rules, ordered by file, line, then rule. */
export function postureFindings(model: PostureModel): PostureFinding[] {
  const out: PostureFinding[] = [];
  for (const job of model.jobs) {
    const emit: Emit = (rule, severity, at, message, fix) =>
      out.push({ rule, severity, ...at, job: job.id, message, fix });
    permissionFindings(job, emit);
    triggerFindings(model, job, emit);
    injectionFindings(job, emit);
    stepFindings(job, emit);
    if (job.calls !== undefined)
      pinFinding(
        job.calls,
        { file: job.file, ...(job.callsAt ?? { line: job.line, col: job.col }) },
        emit,
      );
  }
  return out.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.col - b.col ||
      a.rule.localeCompare(b.rule) ||
      a.job.localeCompare(b.job),
  );
}
