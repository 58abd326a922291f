// guard: plan the step from the policy and its baseline (restored from the Actions cache, or seeded
// from the API), run the command under the supervisor, report every connection against the
// baseline, and — only for a run that earned it — teach the baseline and save it back.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  anomalySettings,
  describeCause,
  isSathosError,
  quotedHost,
  type AnomalyObservation,
  type StepPlan,
} from '@sathos/core';
import {
  readPolicyInput,
  withWorkflowCommandsStopped,
  actionsCacheBackend,
  actionsIO,
  readRunContext,
  type ActionIO,
  type CacheBackend,
  type Env,
  type Fetch,
  type GitHubApi,
} from '@sathos/github';
import {
  abortOnSignals,
  exitStatusOf,
  prepareSandbox,
  superviseStep,
  supervisionReportFields,
  type SupervisionReport,
} from '@sathos/guard';
import { chainFingerprint, learn, loadBaseline, type Learning } from './baseline.js';
import type { GuardInputs } from './inputs.js';
import { guardSummary } from './summary.js';
import { trustsRestoredBaseline } from './vouch.js';

/** Annotations GitHub shows per step are capped anyway; the report lists every decision. */
const MAX_HELD_WARNINGS = 50;

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
    // A chunk of its own in dist/: loaded only when a baseline is restored or saved.
    cache: actionsCacheBackend(() => import('@actions/cache')),
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
  // The sandbox's init boots while the policy is read and the baseline restored from the cache.
  const prepared = prepareSandbox(inputs.sandbox);
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
    // Taken before the command, which can write the chain file (see learn).
    const chainBefore = inputs.recordBaseline ? await chainFingerprint(inputs.chain) : undefined;
    const aborts = abortOnSignals();
    // The command's output cannot issue workflow commands as this action; the action's own
    // warnings wait until command processing is back on.
    const held: (() => void)[] = [];
    const supervised = await withWorkflowCommandsStopped(() =>
      superviseStep({
        command: 'bash',
        args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c', inputs.run],
        env: stepEnv(env),
        settings,
        baseline: loaded.baseline,
        ...(loaded.digest === undefined ? {} : { baselineDigest: loaded.digest }),
        ...(inputs.maxDurationMs === undefined ? {} : { maxDurationMs: inputs.maxDurationMs }),
        knownHostAction: trusted ? 'allow' : 'audit',
        graceMs: GRACE_MS,
        prepared,
        signal: aborts.signal,
        onEvent: (event) => {
          if (event.kind === 'decision' && event.decision.verdict.action !== 'allow') {
            const { request, verdict } = event.decision;
            if (held.length < MAX_HELD_WARNINGS) {
              held.push(() => {
                io.warning(
                  `${verdict.action} ${quotedHost(request.host)}:${request.port}: ${verdict.reason}`,
                  { title: 'SATHOS guard' },
                );
              });
            }
          }
        },
      }),
    ).finally(aborts.dispose);
    for (const warn of held) warn();
    const { plan, report, run: supervisedRun } = supervised;
    const observation = supervised.observations.anomaly;
    const learning = await learn(
      inputs,
      context,
      runtime,
      policy,
      loaded,
      supervisedRun,
      report,
      baselinePath,
      chainBefore,
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
  } finally {
    // A failure before the step ran leaves an init waiting: end it (a no-op once supervise took it).
    await prepared.dispose();
  }
}
