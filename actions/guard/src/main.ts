// guard: plan the step from the policy and its baseline (restored from the Actions cache, or seeded
// from the API), run the command under the supervisor, report every connection against the
// baseline, and — only for a run that earned it — teach the baseline and save it back.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  BASELINE_LIMITS,
  SathosError,
  anomalyObservation,
  anomalySettings,
  describeCause,
  egressDecider,
  emptyBaseline,
  isSathosError,
  learnRun,
  parseBaseline,
  planStep,
  quotedHost,
  serializeBaseline,
  withRuns,
  type AnomalyObservation,
  type Baseline,
  type LearnResult,
  type Policy,
  type StepPlan,
  type SupervisedRun,
} from '@sathos/core';
import {
  readPolicyInput,
  MAX_EVENT_BYTES,
  actionsCacheBackend,
  actionsIO,
  baselineCacheKeys,
  readInputFile,
  readRunContext,
  restoreBaselineFile,
  saveBaselineFile,
  seedRunsFromGitHub,
  workflowFileOf,
  type ActionIO,
  type CacheBackend,
  type Env,
  type Fetch,
  type GitHubApi,
  type RunContext,
} from '@sathos/github';
import {
  abortOnSignals,
  exitStatusOf,
  supervise,
  supervisedRun,
  supervisionReportFields,
  type SupervisionReport,
} from '@sathos/guard';
import type { GuardInputs } from './inputs.js';
import { guardSummary } from './summary.js';
import { trustsRestoredBaseline, vouchForRun } from './vouch.js';

/** What run() talks to; tests hand in loopback servers, a directory cache and a recorder. */
export interface Runtime {
  readonly env: Env;
  readonly fetch: Fetch;
  readonly io: ActionIO;
  readonly cache: CacheBackend;
  readonly now: () => number;
}

export function defaultRuntime(): Runtime {
  return {
    env: process.env,
    fetch: globalThis.fetch,
    io: actionsIO(),
    cache: actionsCacheBackend(),
    now: Date.now,
  };
}

/** The one line a failed step shows. */
export function failureLine(error: unknown): string {
  return isSathosError(error)
    ? `${error.code}: ${error.line}`
    : `unexpected error: ${describeCause(error)}`;
}

/** Between SIGTERM and SIGKILL when the step is halted. */
const GRACE_MS = 5000;

/**
 * What the command's environment leaves out: the action's inputs (the token among them) and the
 * runtime's cache and results credentials, which would let the guarded code rewrite its own baseline.
 */
export function stepEnv(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    const upper = name.toUpperCase();
    if (upper.startsWith('INPUT_')) continue;
    if (['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL', 'ACTIONS_CACHE_URL'].includes(upper))
      continue;
    out[name] = value;
  }
  return out;
}

interface LoadedBaseline {
  readonly baseline: Baseline;
  readonly digest?: string;
  readonly notes: readonly string[];
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The repository's default branch, from the event payload; seeding reads only its runs. */
async function defaultBranch(context: RunContext): Promise<string | undefined> {
  if (context.eventPath === undefined) return undefined;
  try {
    const payload = JSON.parse(
      await readInputFile(context.eventPath, 'GITHUB_EVENT_PATH', MAX_EVENT_BYTES),
    ) as { repository?: { default_branch?: unknown } } | null;
    const branch = payload?.repository?.default_branch;
    return typeof branch === 'string' && /^[A-Za-z0-9._/-]{1,255}$/.test(branch)
      ? branch
      : undefined;
  } catch {
    return undefined;
  }
}

async function seedBaseline(
  inputs: GuardInputs,
  context: RunContext,
  api: GitHubApi,
  baseline: Baseline,
): Promise<{ baseline: Baseline; note: string }> {
  const seed = inputs.seed;
  const workflow = workflowFileOf(context.workflowRef);
  const branch = await defaultBranch(context);
  if (seed === undefined || workflow === undefined || branch === undefined)
    return { baseline, note: 'no baseline was seeded: the workflow or default branch is unknown' };
  try {
    const runs = await seedRunsFromGitHub(api, {
      repository: context.repository,
      workflow,
      branch,
      job: seed.job,
      ...(seed.step === undefined ? {} : { step: seed.step }),
      runs: BASELINE_LIMITS.maxRuns,
    });
    return {
      baseline: withRuns(baseline, runs),
      note: `seeded ${runs.length} durations from ${workflow} runs on ${branch}`,
    };
  } catch (error) {
    return { baseline, note: `no baseline was seeded (${failureLine(error)})` };
  }
}

/** The baseline from the cache (a corrupt one fails the step), else seeded, else fresh. */
async function loadBaseline(
  inputs: GuardInputs,
  context: RunContext,
  api: GitHubApi,
  runtime: Runtime,
  path: string,
): Promise<LoadedBaseline> {
  const key = inputs.baselineKey;
  if (key === undefined) return { baseline: emptyBaseline('default'), notes: [] };
  const { prefix } = baselineCacheKeys(key, context);
  const restored = await restoreBaselineFile(runtime.cache, path, prefix);
  const notes = restored.note === undefined ? [] : [restored.note];
  if (restored.key !== undefined && (await fileExists(path))) {
    const bytes = await readFile(path);
    const baseline = parseBaseline(bytes, `cache entry ${restored.key}`);
    if (baseline.step !== key)
      throw new SathosError(
        'BASELINE_INVALID',
        `the cached baseline is of step "${baseline.step}", not "${key}"; change the baseline key`,
        { where: restored.key },
      );
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return { baseline, digest, notes: [...notes, `baseline restored from ${restored.key}`] };
  }
  const fresh = emptyBaseline(key);
  if (inputs.seed === undefined) return { baseline: fresh, notes: [...notes, 'no baseline yet'] };
  const seeded = await seedBaseline(inputs, context, api, fresh);
  return { baseline: seeded.baseline, notes: [...notes, seeded.note] };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { flag: 'wx' });
  await rename(temporary, path);
}

interface Learning {
  readonly result?: LearnResult;
  readonly note?: string;
}

/** Teaches and saves the baseline when the run earned it; says why not otherwise. */
async function learn(
  inputs: GuardInputs,
  context: RunContext,
  runtime: Runtime,
  policy: Policy | undefined,
  loaded: LoadedBaseline,
  run: SupervisedRun,
  report: SupervisionReport,
  path: string,
): Promise<Learning> {
  if (!inputs.recordBaseline || inputs.baselineKey === undefined || policy === undefined) return {};
  const refusal = await vouchForRun({
    policy,
    chainPath: inputs.chain,
    ...(inputs.trustedRoot === undefined ? {} : { trustedRoot: inputs.trustedRoot }),
    publicKeys: inputs.publicKeys,
    context,
  });
  const result = learnRun(loaded.baseline, {
    ...run,
    at: runtime.now(),
    decisionsDropped: report.droppedDecisions,
    trusted: refusal === undefined,
  });
  if (!result.learned)
    return { result, note: `the baseline did not learn this run: ${refusal ?? result.reason}` };
  await writeAtomically(path, serializeBaseline(result.baseline));
  const key = baselineCacheKeys(inputs.baselineKey, context).save;
  const failed = await saveBaselineFile(runtime.cache, path, key);
  return {
    result,
    note:
      failed ??
      `the baseline learned this run (${result.baseline.runs.length} runs), saved as ${key}`,
  };
}

function outputs(
  io: ActionIO,
  reportPath: string,
  report: SupervisionReport,
  observation: AnomalyObservation,
): void {
  io.setOutput('report', reportPath);
  io.setOutput('halted', String(report.halted !== undefined));
  io.setOutput('findings', JSON.stringify(observation.findings));
}

function fullReport(
  inputs: GuardInputs,
  plan: StepPlan,
  report: SupervisionReport,
  observation: AnomalyObservation,
  learning: Learning,
): Record<string, unknown> {
  const status = exitStatusOf(report);
  return {
    ...supervisionReportFields({ command: inputs.run, plan, report, status, observation }),
    ...(learning.result === undefined ? {} : { baselineRecorded: learning.result.learned }),
    ...(learning.note === undefined ? {} : { baselineNote: learning.note }),
  };
}

export async function run(inputs: GuardInputs, runtime: Runtime = defaultRuntime()): Promise<void> {
  const { io, env } = runtime;
  try {
    const context = readRunContext(env);
    const api: GitHubApi = {
      apiUrl: context.apiUrl,
      token: inputs.githubToken,
      fetch: runtime.fetch,
    };
    const policy =
      inputs.policy === undefined ? undefined : await readPolicyInput(inputs.policy, api);
    const settings = anomalySettings(
      policy === undefined ? undefined : (policy.anomaly ?? { allowedHosts: [] }),
      {
        ...(inputs.mode === undefined ? {} : { mode: inputs.mode }),
        allowHosts: inputs.allowHosts,
      },
      policy?.uri ?? 'input "allow-hosts"',
    );
    const dir = join(
      context.runnerTemp ?? tmpdir(),
      `sathos-guard-${randomBytes(6).toString('hex')}`,
    );
    await mkdir(dir, { recursive: true });
    // The cache restores a file to the path it was saved from (the path is part of its version).
    const baselinePath = join(
      context.runnerTemp ?? tmpdir(),
      'sathos-baseline',
      inputs.baselineKey ?? 'none',
      'baseline.json',
    );
    await mkdir(dirname(baselinePath), { recursive: true });
    const loaded = await loadBaseline(inputs, context, api, runtime, baselinePath);
    for (const note of loaded.notes) io.info(note);
    // A pull request's run may restore a cache its own code saved: its hosts are only audited.
    const trusted = trustsRestoredBaseline(context.eventName);
    const plan = planStep(settings, loaded.baseline, inputs.maxDurationMs, {
      knownHostAction: trusted ? 'allow' : 'audit',
    });
    const aborts = abortOnSignals();
    const report = await supervise({
      command: 'bash',
      args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c', inputs.run],
      env: stepEnv(env),
      decide: egressDecider(plan),
      ...(plan.deadline === undefined ? {} : { deadlineMs: plan.deadline.ms }),
      graceMs: GRACE_MS,
      sandbox: inputs.sandbox,
      signal: aborts.signal,
      onEvent: (event) => {
        if (event.kind === 'decision' && event.decision.verdict.action !== 'allow') {
          const { request, verdict } = event.decision;
          io.warning(
            `${verdict.action} ${quotedHost(request.host)}:${request.port}: ${verdict.reason}`,
            {
              title: 'SATHOS guard',
            },
          );
        }
      },
    }).finally(aborts.dispose);
    const supervised = supervisedRun(report);
    const observation = anomalyObservation(plan, supervised, loaded.digest);
    const learning = await learn(
      inputs,
      context,
      runtime,
      policy,
      loaded,
      supervised,
      report,
      baselinePath,
    );
    if (learning.note !== undefined) io.info(learning.note);
    const reportPath = join(dir, 'report.json');
    await writeFile(
      reportPath,
      `${JSON.stringify(fullReport(inputs, plan, report, observation, learning), null, 2)}\n`,
    );
    outputs(io, reportPath, report, observation);
    await io.summary(
      guardSummary({
        plan,
        report,
        observation,
        notes: [...loaded.notes, ...(learning.note === undefined ? [] : [learning.note])],
      }),
    );
    const status = exitStatusOf(report);
    if (report.halted !== undefined) io.setFailed(`the step was halted: ${report.halted.reason}`);
    else if (status !== 0) io.setFailed(`the command exited with ${status}`);
  } catch (error) {
    io.setFailed(failureLine(error));
  }
}
