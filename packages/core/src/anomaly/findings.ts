// What a supervised step's run showed against its plan: findings (unknown, blocked or halting hosts,
// a step slower than its baseline allows) and the `anomaly` observation a step records in its
// transition record (docs/spec.md §2.2), where the gate's policy reads it back.
import type { AnomalyMode } from './settings.js';
import type { EgressAction, EgressDecision, EgressProtocol, SandboxKind } from './events.js';
import { canonicalHost, canonicalHostEntryFor, quotedHost } from './hosts.js';
import type { StepPlan } from './plan.js';

/** Findings kept in one observation; the rest are counted in `findingsOmitted`. */
export const MAX_FINDINGS = 64;

export type HostFindingKind = 'unknown-host' | 'blocked-host' | 'halted-host';

export type AnomalyFinding =
  | {
      /** unknown-host: reached anyway (audit); blocked-host: refused; halted-host: refused, step ended. */
      readonly kind: HostFindingKind;
      /** `host:port`, or `host` for a name lookup. */
      readonly host: string;
      readonly protocol: EgressProtocol;
      /** How many requests of the run this finding stands for. */
      readonly count: number;
      readonly reason: string;
    }
  | {
      /** The supervisor halted the step because one of its own parts failed (fail closed). */
      readonly kind: 'supervisor-halt';
      readonly reason: string;
    }
  | {
      /**
       * The step sent packets around the gateway (a client ignoring the proxy) that the sandbox
       * rejected: refused egress whose host the sandbox cannot name (the iptables level counts it).
       */
      readonly kind: 'direct-egress';
      readonly count: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'slow-step';
      readonly durationMs: number;
      readonly deadlineMs: number;
      readonly source: 'baseline' | 'max-duration';
      /** True when the supervisor ended the step at the deadline; false when it was only recorded. */
      readonly halted: boolean;
      readonly medianMs?: number;
      readonly reason: string;
    };

/** The supervisor's report, as far as findings need it (packages/guard's SupervisionReport fits). */
export interface SupervisedRun {
  readonly exitCode: number | null;
  readonly signal?: string | null;
  readonly halted: boolean;
  /** Why it was halted, when the supervisor says (packages/guard's Halt.cause). */
  readonly haltCause?: 'egress' | 'deadline' | 'supervisor';
  readonly haltReason?: string;
  readonly durationMs: number;
  readonly decisions: readonly EgressDecision[];
  /**
   * Decisions the supervisor only counted (past its log's bounds), by action. Those not `allow` are
   * findings it could not itemize: they count in `findingsOmitted`, so the gate still denies.
   */
  readonly droppedByAction?: Readonly<Partial<Record<EgressAction, number>>>;
  readonly sandbox?: SandboxKind;
  readonly sandboxNote?: string;
  /**
   * Packets the sandbox rejected because they went around the gateway (the iptables level's
   * counters; other levels cannot count them). Any is a finding: refused egress, like a blocked host.
   */
  readonly directEgress?: number;
}

const HOST_KIND = { audit: 'unknown-host', block: 'blocked-host', halt: 'halted-host' } as const;

// Whether a request with this verdict is a finding: anything refused is; an audited one only when
// something said what the step may reach (StepPlan.judgesHosts).
function isFinding(plan: StepPlan, action: Exclude<EgressAction, 'allow'>): boolean {
  return action !== 'audit' || plan.judgesHosts;
}

function hostFindings(plan: StepPlan, decisions: readonly EgressDecision[]): AnomalyFinding[] {
  const byKey = new Map<string, AnomalyFinding & { kind: HostFindingKind }>();
  for (const { request, verdict } of decisions) {
    if (verdict.action === 'allow' || !isFinding(plan, verdict.action)) continue;
    const host = canonicalHost(request.host);
    const entry =
      host === undefined
        ? `${quotedHost(request.host)}:${String(request.port)}`
        : canonicalHostEntryFor(host, request);
    const kind = HOST_KIND[verdict.action];
    const key = `${kind} ${request.protocol} ${entry}`;
    const found = byKey.get(key);
    byKey.set(
      key,
      found === undefined
        ? { kind, host: entry, protocol: request.protocol, count: 1, reason: verdict.reason }
        : { ...found, count: found.count + 1 },
    );
  }
  return [...byKey.values()];
}

// The deadline a run is measured against: what was enforced, else the baseline's (reported only).
function slowFinding(plan: StepPlan, run: SupervisedRun): AnomalyFinding | undefined {
  const hostHalt =
    run.haltCause === undefined
      ? run.decisions.some((d) => d.verdict.action === 'halt')
      : run.haltCause !== 'deadline';
  const measured =
    plan.deadline ??
    (plan.baselineDeadlineMs === undefined
      ? undefined
      : { ms: plan.baselineDeadlineMs, source: 'baseline' as const });
  if (measured === undefined) return undefined;
  const haltedHere = run.halted && !hostHalt && plan.deadline !== undefined;
  if (!haltedHere && run.durationMs <= measured.ms) return undefined;
  const median = plan.stats === undefined ? undefined : Math.round(plan.stats.medianMs);
  const against =
    measured.source === 'baseline'
      ? `the baseline's deadline of ${measured.ms} ms (median ${String(median)} ms)`
      : `--max-duration ${measured.ms} ms`;
  return {
    kind: 'slow-step',
    durationMs: Math.round(run.durationMs),
    deadlineMs: measured.ms,
    source: measured.source,
    halted: haltedHere,
    ...(median === undefined ? {} : { medianMs: median }),
    reason: haltedHere
      ? `the step was halted at ${against}`
      : `the step took ${Math.round(run.durationMs)} ms, over ${against}`,
  };
}

// Refused whatever the mode, as a blocked host is; a count that is not a whole number reads as one.
function directFinding(run: SupervisedRun): AnomalyFinding[] {
  if (run.directEgress === undefined || run.directEgress === 0) return [];
  const count = countOf(run.directEgress);
  return [
    {
      kind: 'direct-egress',
      count,
      reason: `${count} packet${count === 1 ? '' : 's'} went around the gateway (a client ignoring the proxy) and the sandbox rejected them; their host is not known`,
    },
  ];
}

/** Every finding of a run, host findings first (in order of first request), then the duration. */
export function runFindings(plan: StepPlan, run: SupervisedRun): AnomalyFinding[] {
  const slow = slowFinding(plan, run);
  const failed: AnomalyFinding[] =
    run.halted && run.haltCause === 'supervisor'
      ? [{ kind: 'supervisor-halt', reason: run.haltReason ?? 'the supervisor failed' }]
      : [];
  return [
    ...hostFindings(plan, run.decisions),
    ...directFinding(run),
    ...failed,
    ...(slow === undefined ? [] : [slow]),
  ];
}

export interface AnomalyObservation {
  readonly version: 1;
  readonly step: string;
  readonly mode: AnomalyMode;
  readonly sandbox?: SandboxKind;
  readonly exitCode: number | null;
  readonly halted: boolean;
  readonly durationMs: number;
  readonly deadline?: { readonly ms: number; readonly source: 'baseline' | 'max-duration' };
  readonly baseline: {
    readonly runs: number;
    readonly learning: boolean;
    readonly medianMs?: number;
    readonly deadlineMs?: number;
    readonly knownHosts: number;
    /** `sha256:<hex>` of the baseline file the plan was made from, when there was one. */
    readonly digest?: string;
  };
  readonly connections: {
    readonly allowed: number;
    readonly audited: number;
    readonly blocked: number;
    readonly halted: number;
  };
  readonly findings: readonly AnomalyFinding[];
  readonly findingsOmitted?: number;
  /** Present (false) when nothing named the step's hosts: its audited hosts are not findings. */
  readonly hostsJudged?: false;
}

// A count from the supervisor: anything but a whole number ≥ 0 reads as one (fail closed).
function countOf(value: unknown): number {
  if (value === undefined) return 0;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 1;
}

/** The `anomaly` observation of a supervised step, for its transition record. */
export function anomalyObservation(
  plan: StepPlan,
  run: SupervisedRun,
  baselineDigest?: string,
): AnomalyObservation {
  const findings = runFindings(plan, run);
  const dropped = (action: EgressAction) => countOf(run.droppedByAction?.[action]);
  const count = (action: EgressAction) =>
    run.decisions.filter((d) => d.verdict.action === action).length + dropped(action);
  const omitted =
    Math.max(0, findings.length - MAX_FINDINGS) +
    (plan.judgesHosts ? dropped('audit') : 0) +
    dropped('block') +
    dropped('halt');
  return {
    version: 1,
    step: plan.step,
    mode: plan.settings.mode,
    ...(run.sandbox === undefined ? {} : { sandbox: run.sandbox }),
    exitCode: run.exitCode,
    halted: run.halted,
    durationMs: Math.round(run.durationMs),
    ...(plan.deadline === undefined ? {} : { deadline: plan.deadline }),
    baseline: {
      runs: plan.stats?.runs ?? 0,
      learning: plan.learning,
      ...(plan.stats === undefined ? {} : { medianMs: Math.round(plan.stats.medianMs) }),
      ...(plan.baselineDeadlineMs === undefined ? {} : { deadlineMs: plan.baselineDeadlineMs }),
      knownHosts: plan.knownHosts.size,
      ...(baselineDigest === undefined ? {} : { digest: baselineDigest }),
    },
    connections: {
      allowed: count('allow'),
      audited: count('audit'),
      blocked: count('block'),
      halted: count('halt'),
    },
    findings: findings.slice(0, MAX_FINDINGS),
    ...(omitted > 0 ? { findingsOmitted: omitted } : {}),
    ...(plan.judgesHosts ? {} : { hostsJudged: false as const }),
  };
}
