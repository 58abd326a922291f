// The baseline rules: each finding names a weakness a real attack used, where it is (file, line,
// job) and how to fix it. Pure: a finding is a function of the posture model alone.
import { contextTaint } from './contexts.js';
import {
  CHECKOUT,
  inputText,
  isAction,
  isReleaseJob,
  jobHoldsPower,
  jobTriggers,
  OUTSIDER_TRIGGERS,
  PRIVILEGED_TRIGGERS,
  untrustedCheckouts,
  usesCache,
} from './job-traits.js';
import type { ContextRead, JobModel, PostureModel, StepModel, UsesRef } from './model.js';
import { writeScopes } from './permissions.js';
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

const GITHUB_SCRIPT = 'actions/github-script';

type Emit = (
  rule: FindingRule,
  severity: Severity,
  at: { file: string; line: number; col: number },
  message: string,
  fix: string,
) => void;

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
