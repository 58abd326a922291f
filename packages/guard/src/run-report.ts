// What every edge that supervises a step shares: a cancelled job or Ctrl-C halts the whole tree,
// and the supervisor's report becomes the run the pure anomaly layer reads.
import type { SupervisedRun } from '@sathos/core';
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
    sandbox: report.sandbox,
    sandboxNote: report.sandboxNote,
  };
}
