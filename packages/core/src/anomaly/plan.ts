// Everything decided before a supervised step starts: the settings (policy, then what the caller may
// add), what the baseline knows (hosts seen k of N times, the duration deadline), and so the
// deadline the supervisor enforces. Pure: the baseline and the limits are handed in.
import { SathosError } from '../errors.js';
import type { AnomalyMode, AnomalyPolicy } from './settings.js';
import { ANOMALY_MODES } from './settings.js';
import type { Baseline } from './baseline.js';
import { hostCounts } from './baseline.js';
import type { HostPattern } from './hosts.js';
import { parseHostPatterns } from './hosts.js';
import type { DurationStats } from './statistics.js';
import { baselineDeadlineMs, durationStats } from './statistics.js';

/** What applies when neither the policy nor the caller says otherwise: deny by default. */
export const ANOMALY_DEFAULTS = {
  mode: 'block',
  durationRatio: 2,
  minRuns: 5,
  knownAfter: { seen: 3, of: 10 },
  /** Robust standard deviations above the median (log space) a noisy step may run. */
  z: 4,
  /** No baseline deadline is shorter than this. */
  minDeadlineMs: 1000,
} as const;

export interface AnomalySettings {
  readonly mode: AnomalyMode;
  readonly allowedHosts: readonly HostPattern[];
  readonly durationRatio: number;
  readonly minRuns: number;
  readonly knownAfter: { readonly seen: number; readonly of: number };
  /**
   * Whether anything names the step's hosts: a policy (its anomaly section, or the empty one an edge
   * stands in for a missing section) or hosts given by the caller. When nothing does, an audited
   * host is recorded but is not a finding until the step's baseline knows its hosts.
   */
  readonly hostsNamed: boolean;
}

/** What the caller of a supervised step adds to a policy: flags or action inputs. */
export interface AnomalyRequest {
  readonly mode?: AnomalyMode;
  /** Hosts given on the command line; refused when a policy names the hosts. */
  readonly allowHosts?: readonly string[];
}

const strictness = (mode: AnomalyMode): number => ANOMALY_MODES.indexOf(mode);

/**
 * The settings of one step. With a policy, the policy decides: the caller may make the mode stricter
 * (audit < block < halt) but not looser, and may not add hosts, since a workflow must not widen the
 * policy it is judged by. Without a policy, the caller's hosts and mode apply.
 */
export function anomalySettings(
  policy: AnomalyPolicy | undefined,
  request: AnomalyRequest,
  where: string,
): AnomalySettings {
  const policyMode = policy?.mode ?? ANOMALY_DEFAULTS.mode;
  if (policy !== undefined && (request.allowHosts?.length ?? 0) > 0)
    throw new SathosError(
      'USAGE',
      'the policy names the allowed hosts (anomaly.allowedHosts); add hosts there, not on the command line',
      { where },
    );
  if (policy !== undefined && request.mode !== undefined) {
    if (strictness(request.mode) < strictness(policyMode))
      throw new SathosError(
        'USAGE',
        `the policy's anomaly mode is ${policyMode}; a step may only make it stricter, not ${request.mode}`,
        { where },
      );
  }
  return {
    mode: request.mode ?? policyMode,
    allowedHosts: parseHostPatterns(policy?.allowedHosts ?? request.allowHosts ?? [], where),
    durationRatio: policy?.durationRatio ?? ANOMALY_DEFAULTS.durationRatio,
    minRuns: policy?.minRuns ?? ANOMALY_DEFAULTS.minRuns,
    knownAfter: policy?.knownAfter ?? ANOMALY_DEFAULTS.knownAfter,
    hostsNamed: policy !== undefined || (request.allowHosts?.length ?? 0) > 0,
  };
}

export interface StepPlan {
  readonly step: string;
  readonly settings: AnomalySettings;
  /** Duration statistics of the baseline's runs; undefined when it has none. */
  readonly stats?: DurationStats;
  /** True while the baseline has fewer than minRuns runs: it records but sets no deadline. */
  readonly learning: boolean;
  /**
   * Whether an audited host is a finding: when the settings name hosts, or the baseline recorded the
   * hosts of enough runs (minRuns, at most knownAfter.of) to know them. Otherwise nothing says what
   * the step may reach, and an unknown host is only recorded (`connections.audited`): no policy, no
   * finding. Refused hosts (block, halt) are findings whatever this says.
   */
  readonly judgesHosts: boolean;
  /** The deadline the baseline sets (enforced under halt, reported under audit and block). */
  readonly baselineDeadlineMs?: number;
  /** What the supervisor enforces, and why; undefined when nothing bounds the step. */
  readonly deadline?: { readonly ms: number; readonly source: 'baseline' | 'max-duration' };
  /** Host entries reached in at least knownAfter.seen of the last knownAfter.of runs, with counts. */
  readonly knownHosts: ReadonlyMap<string, number>;
  /** Every host entry reached in the last knownAfter.of runs, known or not yet, with counts. */
  readonly seenHosts: ReadonlyMap<string, number>;
  /** How many runs the host counts were taken over. */
  readonly hostRuns: number;
  /** What a known host gets: `allow`, or `audit` when the baseline came from an untrusted source. */
  readonly knownHostAction: 'allow' | 'audit';
}

export interface PlanOptions {
  /**
   * `audit` when whoever could have written the baseline is not trusted to widen egress (the action
   * on a pull request: the cache it restores may have been saved by the pull request's own code).
   */
  readonly knownHostAction?: 'allow' | 'audit';
}

/**
 * Plans a step from its settings and baseline, before it starts. `maxDurationMs` (a flag or input)
 * is a hard bound in every mode; the baseline's deadline is enforced only under `halt`.
 */
export function planStep(
  settings: AnomalySettings,
  baseline: Baseline,
  maxDurationMs?: number,
  options: PlanOptions = {},
): StepPlan {
  const stats = durationStats(baseline.runs.map((r) => r.durationMs));
  const learning = (stats?.runs ?? 0) < settings.minRuns;
  const fromBaseline =
    learning || stats === undefined
      ? undefined
      : baselineDeadlineMs(stats, {
          ratio: settings.durationRatio,
          z: ANOMALY_DEFAULTS.z,
          minMs: ANOMALY_DEFAULTS.minDeadlineMs,
        });
  const { runs, counts } = hostCounts(baseline, settings.knownAfter.of);
  const knownHosts = new Map([...counts].filter(([, n]) => n >= settings.knownAfter.seen));
  const enforced = settings.mode === 'halt' ? fromBaseline : undefined;
  let deadline: StepPlan['deadline'];
  if (maxDurationMs !== undefined && (enforced === undefined || maxDurationMs <= enforced))
    deadline = { ms: maxDurationMs, source: 'max-duration' };
  else if (enforced !== undefined) deadline = { ms: enforced, source: 'baseline' };
  return {
    step: baseline.step,
    settings,
    ...(stats === undefined ? {} : { stats }),
    learning,
    judgesHosts: settings.hostsNamed || runs >= Math.min(settings.minRuns, settings.knownAfter.of),
    ...(fromBaseline === undefined ? {} : { baselineDeadlineMs: fromBaseline }),
    ...(deadline === undefined ? {} : { deadline }),
    knownHosts,
    seenHosts: counts,
    knownHostAction: options.knownHostAction ?? 'allow',
    hostRuns: runs,
  };
}
