// One job of a workflow (not a call of another workflow): its own workspace and temp directory, its
// environment and contexts, the OIDC request pair only when its permissions grant `id-token: write`
// (and its caller's allow it), its steps in order, then its outputs.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { Job } from '@actions/workflow-parser/model/workflow-template';
import { isMapping, isString } from '@actions/workflow-parser';
import { asText, evaluateMapping, evaluateToken, type Contexts, type Json } from './expressions.js';
import { field, items } from '../posture/tokens.js';
import type { LoadedWorkflow } from './load.js';
import { jobClaims, type RunIdentity } from './identity.js';
import type { OidcEndpoint } from './oidc-endpoint.js';
import { runStep, type JobScope, type Outcome } from './steps.js';

export interface JobResult {
  readonly result: Outcome;
  readonly outputs: Record<string, string>;
  readonly errors: readonly string[];
}

/** What the run hands every job. */
export interface RunScope {
  readonly identity: RunIdentity;
  readonly workDir: string;
  readonly artifactsDir: string;
  readonly repositories: Readonly<Record<string, string>>;
  readonly oidc: OidcEndpoint;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly github: Record<string, Json>;
  readonly stepTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** What the workflow (or its caller) hands this job. */
export interface CallScope {
  readonly workflow: LoadedWorkflow;
  /** `caller/` for jobs of a called workflow. */
  readonly prefix: string;
  readonly inputs: Record<string, Json>;
  readonly secrets: Record<string, string>;
  /** Whether the caller's token may hold id-token: write (a called workflow gets at most that). */
  readonly idTokenAllowed: boolean;
}

/** Whether a `permissions:` value grants id-token write; undefined when none is declared. */
export function grantsIdToken(permissions: TemplateToken | undefined): boolean | undefined {
  if (permissions === undefined) return undefined;
  if (isString(permissions)) return permissions.value === 'write-all';
  if (!isMapping(permissions)) return false;
  const level = field(permissions, 'id-token');
  return level !== undefined && isString(level) && level.value === 'write';
}

/** The job's id-token grant: its own block, else the workflow's, capped by the caller's. */
export function idTokenGranted(rawJob: TemplateToken | undefined, call: CallScope): boolean {
  const own = grantsIdToken(field(rawJob, 'permissions'));
  const granted = own ?? grantsIdToken(field(call.workflow.root, 'permissions')) ?? false;
  return granted && call.idTokenAllowed;
}

function environmentName(rawJob: TemplateToken | undefined, contexts: Contexts, where: string) {
  const env = field(rawJob, 'environment');
  if (env === undefined) return undefined;
  const value = evaluateToken(
    isMapping(env) ? field(env, 'name') : env,
    contexts,
    { succeeded: true },
    where,
  );
  return value === null || value === '' ? undefined : asText(value);
}

async function jobScope(
  job: Job,
  rawJob: TemplateToken | undefined,
  contexts: Contexts,
  run: RunScope,
  call: CallScope,
): Promise<JobScope> {
  const name = `${call.prefix}${job.id.value}`;
  const dir = join(run.workDir, 'jobs', name.replaceAll('/', '__'));
  const dirs = { workspace: join(dir, 'workspace'), temp: join(dir, 'temp') };
  await mkdir(dirs.workspace, { recursive: true });
  await mkdir(dirs.temp, { recursive: true });
  const file = call.workflow.file;
  const environment = environmentName(rawJob, contexts, name);
  const runnerEnv: Record<string, string> = {
    ...run.baseEnv,
    GITHUB_WORKSPACE: dirs.workspace,
    RUNNER_TEMP: dirs.temp,
    GITHUB_JOB: job.id.value,
  };
  if (idTokenGranted(rawJob, call)) {
    const claims = jobClaims(run.identity, {
      jobWorkflowRef: `${file.repository}/${file.path}@${file.ref}`,
      jobWorkflowSha: file.sha,
      ...(environment === undefined ? {} : { environment }),
    });
    const grant = run.oidc.grant(name, claims);
    runnerEnv.ACTIONS_ID_TOKEN_REQUEST_URL = grant.url;
    runnerEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN = grant.token;
  }
  const summaryFile = join(dir, 'summary.md');
  await writeFile(summaryFile, '');
  const scopeContexts = {
    ...contexts,
    // A job run here runs on this machine, a self-hosted runner in GitHub's terms: steps guarded by
    // `runner.environment == 'github-hosted'` (a change only hosted runners should make) are skipped.
    runner: { temp: dirs.temp, os: 'Linux', arch: 'X64', environment: 'self-hosted' },
    github: { ...run.github, job: job.id.value, workspace: dirs.workspace },
    steps: {},
  };
  const workflowEnv = evaluateMapping(
    field(call.workflow.root, 'env'),
    scopeContexts,
    { succeeded: true },
    name,
  );
  const jobEnv = {
    ...workflowEnv,
    ...evaluateMapping(
      field(rawJob, 'env'),
      { ...scopeContexts, env: workflowEnv },
      { succeeded: true },
      name,
    ),
  };
  return {
    name,
    contexts: { ...scopeContexts, env: jobEnv },
    runnerEnv,
    jobEnv,
    exported: {},
    emulation: {
      dirs,
      repositories: run.repositories,
      repository: run.identity.repository,
      sha: run.identity.sha,
      artifactsDir: run.artifactsDir,
    },
    summaryFile,
    stepTimeoutMs: run.stepTimeoutMs,
    deadline: Date.now() + jobTimeoutMs(rawJob, scopeContexts, name),
    log: (line) => {
      run.log(`[${name}] ${line}`);
    },
  };
}

/** The job's `timeout-minutes` (GitHub's default: 360). */
function jobTimeoutMs(
  rawJob: TemplateToken | undefined,
  contexts: Contexts,
  where: string,
): number {
  const minutes = evaluateToken(
    field(rawJob, 'timeout-minutes'),
    contexts,
    { succeeded: true },
    where,
  );
  return (typeof minutes === 'number' && minutes > 0 ? minutes : 360) * 60_000;
}

/** Runs the job's steps; the job fails when a step fails (its continue-on-error aside). */
export async function runJob(
  job: Job,
  rawJob: TemplateToken | undefined,
  contexts: Contexts,
  run: RunScope,
  call: CallScope,
): Promise<JobResult> {
  const scope = await jobScope(job, rawJob, contexts, run, call);
  const rawSteps = items(field(rawJob, 'steps'));
  const errors: string[] = [];
  let succeeded = true;
  for (const [index, step] of job.steps.entries()) {
    const raw = rawSteps[index];
    if (raw === undefined) throw new Error(`step ${index + 1} of ${scope.name} has no source`);
    const result = await runStep(step, raw, index, scope, succeeded);
    errors.push(...result.errors);
    if (!step.id.startsWith('__')) {
      scope.contexts.steps[step.id] = {
        outputs: result.outputs,
        outcome: result.outcome,
        conclusion: result.conclusion,
      };
    }
    if (result.conclusion === 'failure') succeeded = false;
  }
  let outputs: Record<string, string> = {};
  try {
    outputs = evaluateMapping(
      job.outputs,
      { ...scope.contexts, env: { ...scope.jobEnv, ...scope.exported } },
      { succeeded },
      `${scope.name} outputs`,
    );
  } catch (error) {
    succeeded = false;
    errors.push(String(error instanceof Error ? error.message : error));
  }
  return { result: succeeded ? 'success' : 'failure', outputs, errors };
}
