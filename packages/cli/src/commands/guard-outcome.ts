// What `sathos guard` hands back: the report file's contents, the one summary line, and the
// outcome (exit status, JSON object, lines) the CLI prints.
import type { AnomalyObservation, ErrorCode, LearnResult, StepPlan } from '@sathos/core';
import { supervisionReportFields, type SupervisionReport } from '@sathos/guard';
import type { Outcome } from '../outcome.js';

/** Everything `--report` writes: the command, every decision, the timing, the sandbox, the findings. */
export function guardReport(input: {
  readonly command: readonly string[];
  readonly plan: StepPlan;
  readonly report: SupervisionReport;
  readonly status: number;
  readonly observation: AnomalyObservation;
  readonly learned?: LearnResult;
}): Record<string, unknown> {
  return {
    ...supervisionReportFields(input),
    ...(input.learned === undefined
      ? {}
      : {
          baselineRecorded: input.learned.learned,
          ...(input.learned.learned ? {} : { baselineNotRecorded: input.learned.reason }),
        }),
  };
}

function summaryLine(status: number, report: SupervisionReport, obs: AnomalyObservation): string {
  const c = obs.connections;
  const ending =
    report.halted !== undefined
      ? `halted (${report.halted.reason})`
      : `exited with ${status} in ${Math.round(report.durationMs)} ms`;
  return `guard: the step ${ending}; connections: ${c.allowed} allowed, ${c.audited} audited, ${c.blocked} blocked, ${c.halted} halting; sandbox ${report.sandbox}`;
}

export function outcomeOf(
  status: number,
  report: SupervisionReport,
  observation: AnomalyObservation,
  details: Record<string, unknown>,
  notes: readonly string[],
): Outcome {
  const halted = report.halted !== undefined;
  const code: ErrorCode | 'OK' = halted ? 'STEP_HALTED' : status === 0 ? 'OK' : 'COMMAND_FAILED';
  const reason = summaryLine(status, report, observation);
  const lines = [
    reason,
    ...observation.findings.map((f) => `guard: ${f.kind}: ${f.reason}`),
    ...notes.map((n) => `guard: ${n}`),
  ];
  return {
    exitCode: status === 0 ? 0 : 1,
    status,
    json: {
      allowed: !halted && status === 0,
      code,
      reason,
      status,
      halted,
      durationMs: Math.round(report.durationMs),
      sandbox: report.sandbox,
      findings: observation.findings,
      ...details,
    },
    lines,
  };
}
