// What every edge that supervises a step shares: a cancelled job or Ctrl-C halts the whole tree,
// and the supervisor's report becomes the run the pure anomaly layer reads.
import type { AnomalyObservation, StepPlan, SupervisedRun } from '@sathos/core';
import type { SupervisionReport } from './supervise.js';

/** SIGINT or SIGTERM to this process (Ctrl-C, a cancelled job) halts the command's whole tree. */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The supervisor's report as the pure layer reads it. */
export function supervisedRun(report: SupervisionReport): SupervisedRun {
  return {
    exitCode: report.exitCode,
    signal: report.signal,
    halted: report.halted !== undefined,
    ...(report.halted === undefined
      ? {}
      : { haltCause: report.halted.cause, haltReason: report.halted.reason }),
    durationMs: report.durationMs,
    decisions: report.decisions,
    droppedByAction: report.droppedByAction,
    sandbox: report.sandbox,
    sandboxNote: report.sandboxNote,
    ...(report.directEgress === undefined ? {} : { directEgress: report.directEgress }),
  };
}

/** The report fields every edge writes alike: the command, the plan, and all the supervisor saw. */
export function supervisionReportFields(input: {
  /** The command as the edge was given it: argv (the CLI) or a shell line (the action). */
  readonly command: string | readonly string[];
  readonly plan: StepPlan;
  readonly report: SupervisionReport;
  readonly status: number;
  readonly observation: AnomalyObservation;
}): Record<string, unknown> {
  const { report, plan } = input;
  return {
    version: 1,
    command: input.command,
    step: plan.step,
    mode: plan.settings.mode,
    status: input.status,
    exitCode: report.exitCode,
    signal: report.signal,
    halted: report.halted ?? null,
    durationMs: report.durationMs,
    deadlineMs: report.deadlineMs ?? null,
    sandbox: report.sandbox,
    sandboxNote: report.sandboxNote,
    containment: report.containment,
    connections: report.decisions.map((d) => ({ ...d.request, ...d.verdict })),
    droppedDecisions: report.droppedDecisions,
    refusals: report.refusals,
    anomaly: input.observation,
  };
}
