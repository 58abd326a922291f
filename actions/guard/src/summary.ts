// The job summary: the step's connections against its baseline — one row per host and verdict, with
// the rule that decided and how often the baseline saw the host — under lines on duration and mode.
import {
  canonicalHost,
  canonicalHostEntryFor,
  quotedHost,
  type AnomalyObservation,
  type EgressDecision,
  type StepPlan,
} from '@sathos/core';
import type { JobSummary } from '@sathos/github';
import type { SupervisionReport } from '@sathos/guard';

/** Rows in the job summary's table; the report lists every connection. */
export const MAX_SUMMARY_ROWS = 200;

export const SUMMARY_HEADER = [
  'host',
  'protocol',
  'requests',
  'verdict',
  'rule',
  'baseline',
] as const;

const VERDICT = {
  allow: '✅ allow',
  audit: '⚠️ audit',
  block: '⛔ block',
  halt: '🛑 halt',
} as const;

/** One row per host entry, protocol and verdict, in order of first request. */
export function connectionRows(plan: StepPlan, decisions: readonly EgressDecision[]): string[][] {
  const rows = new Map<string, { cells: string[]; count: number }>();
  for (const { request, verdict } of decisions) {
    const host = canonicalHost(request.host);
    const entry =
      host === undefined
        ? `${quotedHost(request.host)}:${String(request.port)}`
        : canonicalHostEntryFor(host, request);
    const key = `${entry} ${request.protocol} ${verdict.action} ${verdict.rule}`;
    const seen = plan.seenHosts.get(entry) ?? 0;
    const known = plan.knownHosts.has(entry) ? 'known' : 'not known';
    const row = rows.get(key) ?? {
      cells: [
        entry,
        request.protocol,
        '',
        VERDICT[verdict.action],
        verdict.rule,
        `seen in ${seen} of ${plan.hostRuns} runs (${known})`,
      ],
      count: 0,
    };
    row.count += 1;
    rows.set(key, row);
  }
  const all = [...rows.values()];
  const shown = all
    .slice(0, MAX_SUMMARY_ROWS)
    .map(({ cells, count }) => [cells[0] ?? '', cells[1] ?? '', String(count), ...cells.slice(3)]);
  // A job summary holds at most 1 MiB: a flood of distinct hosts is counted, not listed.
  return all.length > MAX_SUMMARY_ROWS
    ? [
        ...shown,
        [`… ${all.length - MAX_SUMMARY_ROWS} more hosts (see the report)`, '', '', '', '', ''],
      ]
    : shown;
}

function durationLine(plan: StepPlan, observation: AnomalyObservation): string {
  const median = observation.baseline.medianMs;
  const against =
    plan.learning || median === undefined
      ? `the baseline is learning (${observation.baseline.runs} of ${plan.settings.minRuns} runs)`
      : `baseline median ${median} ms over ${observation.baseline.runs} runs, deadline ${String(observation.baseline.deadlineMs)} ms${plan.settings.mode === 'halt' ? ' (enforced)' : ' (reported)'}`;
  return `Ran ${observation.durationMs} ms; ${against}.`;
}

export function guardSummary(input: {
  readonly plan: StepPlan;
  readonly report: SupervisionReport;
  readonly observation: AnomalyObservation;
  readonly notes: readonly string[];
}): JobSummary {
  const { plan, report, observation } = input;
  const findings = observation.findings.length;
  const heading =
    report.halted !== undefined
      ? `SATHOS guard: step ${plan.step} halted`
      : `SATHOS guard: step ${plan.step}, ${findings === 0 ? 'no findings' : `${findings} finding(s)`}`;
  return {
    heading,
    lines: [
      `Mode ${plan.settings.mode}; sandbox ${report.sandbox} (${report.sandboxNote}).`,
      durationLine(plan, observation),
      ...(report.halted === undefined ? [] : [`Halted: ${report.halted.reason}.`]),
      ...observation.findings.map((f) => `${f.kind}: ${f.reason}`),
      ...input.notes,
    ],
    table: { header: SUMMARY_HEADER, rows: connectionRows(plan, report.decisions) },
  };
}
