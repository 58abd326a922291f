// Runs a workflow locally as GitHub's runner would, job after job in `needs` order: each job in its
// own workspace with its own OIDC identity, `if:` conditions over the results of what it needs,
// called workflows followed (their jobs get the called file as their identity), artifacts passed
// between jobs through the run's artifact directory. Nothing runs until every workflow file the
// run reaches has parsed and passed the runner's checks.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import { SathosError } from '@sathos/core';
import { evaluateToken, truthy, type Json } from './expressions.js';
import { entries, field } from '../posture/tokens.js';
import { loadWorkflow, workflowError, type LoadedWorkflow } from './load.js';
import { callInputs, callOutputs, callSecrets, loadCalled } from './calls.js';
import { runJob, idTokenGranted, type CallScope, type JobResult, type RunScope } from './job.js';
import { startOidcEndpoint, type IssueToken, type TokenRequest } from './oidc-endpoint.js';
import { refName, refType } from './identity.js';

export interface RunOptions {
  /** The repository the run is for, and the local git directory holding it. */
  readonly repository: string;
  readonly repositoryDir: string;
  /** The workflow file, read from git at `sha`. */
  readonly workflowPath: string;
  readonly sha: string;
  readonly ref?: string;
  readonly eventName?: string;
  readonly runId?: string;
  /** The event payload (GITHUB_EVENT_PATH and `github.event`); `{}` when absent. */
  readonly event?: Readonly<Record<string, Json>>;
  /** Other repositories checkout and `uses: owner/name/…@sha` may name: `owner/name` → git dir. */
  readonly repositories?: Readonly<Record<string, string>>;
  readonly secrets?: Readonly<Record<string, string>>;
  /** A new, empty directory for the jobs' workspaces and the run's artifacts. */
  readonly workDir: string;
  /** Signs each job's OIDC token (claims built by the runner). */
  readonly issueToken: IssueToken;
  readonly serverUrl?: string;
  readonly apiUrl?: string;
  /** What `github.token` holds (the GitHub API the jobs talk to accepts it). */
  readonly githubToken?: string;
  /** The repository's visibility as the job tokens claim it (default `private`). */
  readonly repositoryVisibility?: 'public' | 'private' | 'internal';
  /** GitHub's numeric ids of the repository and its owner, as the job tokens claim them. */
  readonly repositoryId?: string;
  readonly ownerId?: string;
  /** PATH, HOME and anything else the steps' processes need from the host. */
  readonly hostEnv?: Readonly<Record<string, string>>;
  readonly stepTimeoutMs?: number;
  /**
   * Called after each job with the run's artifact directory (one directory per artifact name): the
   * place where an attacker who can write artifacts between jobs would act, for tests and the demo.
   */
  readonly afterJob?: (job: string, artifactsDir: string) => void | Promise<void>;
  readonly log?: (line: string) => void;
}

export interface RunResult {
  readonly conclusion: 'success' | 'failure';
  /** Every job by its qualified name (`caller/called` inside called workflows). */
  readonly jobs: Record<string, JobResult>;
  /** Every OIDC token the jobs asked for, in order. */
  readonly tokenRequests: readonly TokenRequest[];
}

/** Jobs in an order where each comes after every job it needs (file order otherwise). */
export function jobOrder(jobs: readonly WorkflowJob[], where: string): WorkflowJob[] {
  const done = new Set<string>();
  const order: WorkflowJob[] = [];
  while (order.length < jobs.length) {
    const next = jobs.find(
      (j) => !done.has(j.id.value) && (j.needs ?? []).every((n) => done.has(n.value)),
    );
    if (next === undefined)
      throw workflowError(where, "the jobs' needs form a cycle or name a job that does not exist");
    done.add(next.id.value);
    order.push(next);
  }
  return order;
}

/** Loads every workflow the run reaches (calls followed), so a bad file stops the run before any job. */
async function preload(
  workflow: LoadedWorkflow,
  repositories: Readonly<Record<string, string>>,
  seen: Map<string, LoadedWorkflow>,
  depth: number,
): Promise<void> {
  if (depth > 4)
    throw workflowError(workflow.file.path, 'workflows call each other more than four levels deep');
  jobOrder(workflow.template.jobs, workflow.file.path);
  for (const job of workflow.template.jobs) {
    if (job.type !== 'reusableWorkflowJob') continue;
    const called = await loadCalled(job, workflow, repositories);
    seen.set(`${workflow.file.path}#${job.id.value}`, called);
    await preload(called, repositories, seen, depth + 1);
  }
}

interface RunState {
  readonly run: RunScope;
  readonly loaded: Map<string, LoadedWorkflow>;
  readonly results: Record<string, JobResult>;
  readonly afterJob: RunOptions['afterJob'];
}

async function runWorkflowJobs(
  call: CallScope,
  state: RunState,
): Promise<Record<string, JobResult>> {
  const local: Record<string, JobResult> = {};
  const workflow = call.workflow;
  const rawJobs = new Map(
    entries(field(workflow.root, 'jobs')).map(([id, raw]) => [id, raw] as [string, TemplateToken]),
  );
  for (const job of jobOrder(workflow.template.jobs, workflow.file.path)) {
    const id = job.id.value;
    const needs: Record<string, Json> = {};
    for (const n of job.needs ?? [])
      needs[n.value] = {
        result: local[n.value]?.result ?? 'skipped',
        outputs: local[n.value]?.outputs ?? {},
      };
    const contexts = {
      github: state.run.github,
      inputs: call.inputs,
      secrets: call.secrets,
      needs,
      vars: {},
    };
    const succeeded = Object.values(needs).every(
      (n) => (n as { result: string }).result === 'success',
    );
    const where = `${call.prefix}${id}`;
    let result: JobResult;
    if (!truthy(evaluateToken(job.if, contexts, { succeeded }, `${where} if`))) {
      result = { result: 'skipped', outputs: {}, errors: [] };
    } else if (job.type === 'reusableWorkflowJob') {
      const called = state.loaded.get(`${workflow.file.path}#${id}`);
      if (called === undefined) throw workflowError(where, 'the called workflow was not loaded');
      const raw = rawJobs.get(id);
      const inner = await runWorkflowJobs(
        {
          workflow: called,
          prefix: `${where}/`,
          inputs: callInputs(raw, called, contexts, where),
          secrets: callSecrets(raw, call.secrets, contexts, where),
          idTokenAllowed: idTokenGranted(raw, call),
        },
        state,
      );
      const jobs: Record<string, Json> = {};
      for (const [name, r] of Object.entries(inner))
        jobs[name] = { result: r.result, outputs: r.outputs };
      const failed = Object.values(inner).some((r) => r.result === 'failure');
      result = {
        result: failed ? 'failure' : 'success',
        outputs: callOutputs(called, jobs, where),
        errors: [],
      };
    } else {
      state.run.log(`● job ${where}`);
      result = await runJob(job, rawJobs.get(id), contexts, state.run, call);
      await state.afterJob?.(where, state.run.artifactsDir);
    }
    local[id] = result;
    state.results[where] = result;
  }
  return local;
}

interface RunFacts {
  readonly owner: string;
  readonly ref: string;
  readonly runId: string;
  readonly eventName: string;
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly workflowRef: string;
}

function runFacts(o: RunOptions): RunFacts {
  const ref = o.ref ?? 'refs/heads/main';
  return {
    owner: o.repository.split('/')[0] ?? '',
    ref,
    runId: o.runId ?? '1',
    eventName: o.eventName ?? 'push',
    serverUrl: o.serverUrl ?? 'https://github.com',
    apiUrl: o.apiUrl ?? 'https://api.github.com',
    workflowRef: `${o.repository}/${o.workflowPath}@${ref}`,
  };
}

function githubContext(o: RunOptions, f: RunFacts): Record<string, Json> {
  return {
    repository: o.repository,
    repository_owner: f.owner,
    sha: o.sha,
    ref: f.ref,
    ref_name: refName(f.ref),
    ref_type: refType(f.ref),
    run_id: f.runId,
    run_attempt: '1',
    event_name: f.eventName,
    workflow_ref: f.workflowRef,
    workflow_sha: o.sha,
    server_url: f.serverUrl,
    api_url: f.apiUrl,
    token: o.githubToken ?? 'local-runner-token',
    event: { ...o.event },
  };
}

function runnerEnv(o: RunOptions, f: RunFacts, eventPath: string): Record<string, string> {
  return {
    ...o.hostEnv,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ENVIRONMENT: 'self-hosted',
    GITHUB_REPOSITORY: o.repository,
    GITHUB_REPOSITORY_OWNER: f.owner,
    GITHUB_SHA: o.sha,
    GITHUB_REF: f.ref,
    GITHUB_REF_NAME: refName(f.ref),
    GITHUB_REF_TYPE: refType(f.ref),
    GITHUB_RUN_ID: f.runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW_REF: f.workflowRef,
    GITHUB_EVENT_NAME: f.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SERVER_URL: f.serverUrl,
    GITHUB_API_URL: f.apiUrl,
  };
}

/** Runs the workflow; throws WORKFLOW_INVALID (nothing run) when a file cannot be run faithfully. */
export async function runWorkflow(o: RunOptions): Promise<RunResult> {
  const repositories = { ...o.repositories, [o.repository]: o.repositoryDir };
  const f = runFacts(o);
  const top = await loadWorkflow({
    repository: o.repository,
    dir: o.repositoryDir,
    sha: o.sha,
    ref: f.ref,
    path: o.workflowPath,
  });
  const loaded = new Map<string, LoadedWorkflow>();
  await preload(top, repositories, loaded, 1);
  await mkdir(o.workDir, { recursive: true });
  const artifactsDir = await mkdtemp(join(o.workDir, 'artifacts-'));
  const eventPath = join(o.workDir, 'event.json');
  await writeFile(eventPath, JSON.stringify(o.event ?? {}));
  const oidc = await startOidcEndpoint(o.issueToken);
  const run: RunScope = {
    identity: {
      repository: o.repository,
      ref: f.ref,
      sha: o.sha,
      runId: f.runId,
      runAttempt: '1',
      eventName: f.eventName,
      workflowRef: f.workflowRef,
      workflowName: o.workflowPath,
      visibility: o.repositoryVisibility ?? 'private',
      repositoryId: o.repositoryId ?? '1',
      ownerId: o.ownerId ?? '1',
    },
    workDir: o.workDir,
    artifactsDir,
    repositories,
    oidc,
    baseEnv: runnerEnv(o, f, eventPath),
    github: githubContext(o, f),
    stepTimeoutMs: o.stepTimeoutMs ?? 10 * 60_000,
    log: o.log ?? (() => undefined),
  };
  const results: Record<string, JobResult> = {};
  try {
    const call = {
      workflow: top,
      prefix: '',
      inputs: {},
      secrets: { ...o.secrets },
      idTokenAllowed: true,
    };
    await runWorkflowJobs(call, { run, loaded, results, afterJob: o.afterJob });
  } catch (error) {
    if (!(error instanceof SathosError)) throw error;
    results['(runner)'] = {
      result: 'failure',
      outputs: {},
      errors: [`${error.code}: ${error.message}`],
    };
  } finally {
    await oidc.close();
  }
  const failed = Object.values(results).some((r) => r.result === 'failure');
  return {
    conclusion: failed ? 'failure' : 'success',
    jobs: results,
    tokenRequests: [...oidc.requests],
  };
}
