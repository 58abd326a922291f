// Robust statistics of a step's past durations: median and MAD of the log-durations. Logs because
// durations are skewed and multiplicative (a step is "twice as slow", not "ten seconds slower");
// median and MAD because a few poisoned or odd runs cannot move them far (50% breakdown point).

/** MAD × this estimates the standard deviation of normally distributed values. */
export const MAD_SCALE = 1.4826;

/** The median of finite numbers (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Median absolute deviation from the median. */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const center = median(values);
  return median(values.map((v) => Math.abs(v - center)));
}

export interface DurationStats {
  readonly runs: number;
  /** exp(median of ln durations): the median duration (geometric mean of the middle two if even). */
  readonly medianMs: number;
  /** MAD of the ln durations (dimensionless). */
  readonly logMad: number;
  readonly slowestMs: number;
}

/** Statistics of positive durations in milliseconds; undefined when there are none. */
export function durationStats(durationsMs: readonly number[]): DurationStats | undefined {
  const usable = durationsMs.filter((d) => Number.isFinite(d) && d > 0);
  if (usable.length === 0) return undefined;
  const logs = usable.map((d) => Math.log(d));
  return {
    runs: usable.length,
    medianMs: Math.exp(median(logs)),
    logMad: medianAbsoluteDeviation(logs),
    slowestMs: Math.max(...usable),
  };
}

export interface DeadlineRule {
  /** A step may always run this many times its median (the policy's durationRatio). */
  readonly ratio: number;
  /** How many robust standard deviations (MAD × 1.4826, in log space) above the median. */
  readonly z: number;
  /** No deadline is shorter than this, whatever the baseline says. */
  readonly minMs: number;
}

/**
 * The deadline a baseline sets: the larger of `ratio × median` and `exp(median + z·1.4826·MAD)` (so
 * a noisy step gets the room its own history shows), never above `ratio × slowest` (no deadline
 * wider than the slowest learned run times the ratio), never below `minMs`. Whole milliseconds.
 */
export function baselineDeadlineMs(stats: DurationStats, rule: DeadlineRule): number {
  const logMedian = Math.log(stats.medianMs);
  const statistical = Math.exp(logMedian + rule.z * MAD_SCALE * stats.logMad);
  const floor = rule.ratio * stats.medianMs;
  const cap = rule.ratio * stats.slowestMs;
  return Math.ceil(Math.max(rule.minMs, Math.min(Math.max(floor, statistical), cap)));
}
