// The supervisor as every edge calls it: plan the step from its settings and baseline, run it under
// the supervisor, and hand back what a transition record carries (`observations.anomaly`). The CLI,
// actions/guard and the `run:` input of attest-build, attest-step and gate-deploy all come here.
import {
  anomalyObservation,
  anomalySettings,
  egressDecider,
  emptyBaseline,
  planStep,
  type AnomalyObservation,
  type Baseline,
  type Policy,
  type StepPlan,
  type SupervisedRun,
} from '@sathos/core';
import { supervisedRun } from './run-report.js';
import { exitStatusOf, supervise, type Halt, type SuperviseOptions } from './supervise.js';
import type { SupervisionReport } from './supervise.js';

/** One step to supervise: the command, how it is judged (settings, baseline), how it runs. */
export interface StepSupervision extends Omit<SuperviseOptions, 'decide' | 'deadlineMs'> {
  /** From core's anomalySettings: the policy's anomaly section and what the caller may add. */
  readonly settings: ReturnType<typeof anomalySettings>;
  /** The step's history (default: a fresh baseline named `step`, which only records). */
  readonly baseline?: Baseline;
  /** `sha256:<hex>` of the baseline file, recorded so a verifier knows what the plan came from. */
  readonly baselineDigest?: string;
  /** The step's name when no baseline is given. */
  readonly step?: string;
  /** A hard bound on the step's duration in every mode. */
  readonly maxDurationMs?: number;
  /** `audit` when the baseline's writer is not trusted to widen egress (see core's planStep). */
  readonly knownHostAction?: 'allow' | 'audit';
}

export interface SupervisedStep {
  /** What the caller ends with: 1 when halted, 128+n for a signal, else the step's own status. */
  readonly exitCode: number;
  readonly durationMs: number;
  readonly halted: Halt | undefined;
  /** Exactly what the step's transition record carries. */
  readonly observations: { readonly anomaly: AnomalyObservation };
  readonly plan: StepPlan;
  readonly report: SupervisionReport;
  /** The report as the pure layer reads it (what a baseline learns from). */
  readonly run: SupervisedRun;
}

/** Plans, supervises and reports one step. Throws only when the supervisor cannot start. */
export async function superviseStep(request: StepSupervision): Promise<SupervisedStep> {
  const { settings, baseline, baselineDigest, step, maxDurationMs, knownHostAction, ...options } =
    request;
  const plan = planStep(settings, baseline ?? emptyBaseline(step ?? 'default'), maxDurationMs, {
    ...(knownHostAction === undefined ? {} : { knownHostAction }),
  });
  const report = await supervise({
    ...options,
    decide: egressDecider(plan),
    // Egress around the gateway has no host to decide on: under halt it halts, as a refusal does.
    haltOnDirectEgress: plan.settings.mode === 'halt',
    ...(plan.deadline === undefined ? {} : { deadlineMs: plan.deadline.ms }),
  });
  const run = supervisedRun(report);
  return {
    exitCode: exitStatusOf(report),
    durationMs: report.durationMs,
    halted: report.halted,
    observations: { anomaly: anomalyObservation(plan, run, baselineDigest) },
    plan,
    report,
    run,
  };
}

/** How a `run:` input's command ended under the supervisor, in the shape the actions record. */
export interface SupervisedScript {
  readonly exitStatus: number;
  readonly signal?: string;
  readonly durationMs: number;
  /** Why the supervisor ended the step, when it did. */
  readonly halted?: string;
  readonly observations: { readonly anomaly: AnomalyObservation };
}

/** As GitHub's runner runs `shell: bash`. */
const BASH_ARGS = ['--noprofile', '--norc', '-eo', 'pipefail', '-c'] as const;

/**
 * Runs an action's `run:` script (bash, as a workflow step runs it) under the supervisor, judged by
 * the policy's anomaly section. Without one nothing names the step's hosts, so it is recorded, not
 * refused (`audit`): every host it reached is counted and logged, not a finding (no policy, no
 * finding; the observation says `hostsJudged: false`).
 */
export async function superviseScript(
  script: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  policy?: Policy,
): Promise<SupervisedScript> {
  const anomaly = policy?.anomaly;
  const settings =
    anomaly === undefined
      ? anomalySettings(undefined, { mode: 'audit' }, 'input "run"')
      : anomalySettings(anomaly, {}, policy?.uri ?? 'the policy');
  const supervised = await superviseStep({
    command: 'bash',
    args: [...BASH_ARGS, script],
    env,
    cwd,
    settings,
    step: 'run',
  });
  const { report } = supervised;
  return {
    exitStatus: supervised.exitCode,
    ...(report.signal === null ? {} : { signal: report.signal }),
    durationMs: supervised.durationMs,
    ...(report.halted === undefined ? {} : { halted: report.halted.reason }),
    observations: supervised.observations,
  };
}
