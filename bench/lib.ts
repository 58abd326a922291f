// The benchmark harness every bench/<topic>.bench.ts uses: one row per measurement, each compared
// with a yardstick measured in the same run, so the ratio survives a slow or noisy machine.

/** One line of the `npm run bench` table. */
export interface BenchRow {
  /** What was measured, e.g. "verify-bundle: DSSE v0.3, public-good". */
  name: string;
  /** Our measurement, in `unit`. */
  value: number;
  unit: string;
  /** What it is compared with, e.g. "@sigstore/verify alone". */
  yardstick: string;
  /** Our measurement divided by the yardstick's, measured in the same run. */
  ratio: number;
  /** The goal, in words, e.g. "ratio ≤ 1.2". */
  target?: string;
  /** Whether the target was met; absent when there is no target. */
  pass?: boolean;
}

export interface MeasureOptions {
  /** Timed calls at least (default 20). */
  minIterations?: number;
  /** Timed milliseconds at least (default 300). */
  minMillis?: number;
}

export interface Measurement {
  /** Median over samples of the time per call. */
  medianNs: number;
  /** Total timed nanoseconds divided by timed calls. */
  meanNs: number;
  /** Timed calls (warm-up calls are not counted). */
  iterations: number;
}

const DEFAULT_MIN_ITERATIONS = 20;
const DEFAULT_MIN_MILLIS = 300;
/** Calls are timed in batches of at least this long, so the clock's own cost is negligible. */
const SAMPLE_NS = 200_000;
const WARM_UP_CALLS = 3;

type Fn = () => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

// Synchronous functions stay synchronous: awaiting them would time the microtask queue too.
async function callBatch(fn: Fn, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let index = 0; index < calls; index++) {
    const result = fn();
    if (isThenable(result)) await result;
  }
  return Number(process.hrtime.bigint() - start);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`measure: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

// Warms up (JIT, caches) and picks how many calls one timed sample holds.
async function warmUp(fn: Fn, minMillis: number): Promise<number> {
  let calls = 0;
  let elapsedNs = 0;
  while (calls < WARM_UP_CALLS || elapsedNs < (minMillis * 1e6) / 10) {
    elapsedNs += await callBatch(fn, 1);
    calls++;
  }
  return Math.max(1, Math.floor(SAMPLE_NS / (elapsedNs / calls)));
}

/** Times `fn` (awaiting it when it returns a promise) after a warm-up, adapting the call count. */
export async function measure(fn: Fn, options: MeasureOptions = {}): Promise<Measurement> {
  const minIterations = positiveInteger(
    options.minIterations ?? DEFAULT_MIN_ITERATIONS,
    'minIterations',
  );
  const minMillis = positiveInteger(options.minMillis ?? DEFAULT_MIN_MILLIS, 'minMillis');
  const batch = await warmUp(fn, minMillis);
  const samples: number[] = [];
  let iterations = 0;
  let totalNs = 0;
  while (iterations < minIterations || totalNs < minMillis * 1e6) {
    const ns = await callBatch(fn, batch);
    samples.push(ns / batch);
    iterations += batch;
    totalNs += ns;
  }
  return { medianNs: median(samples), meanNs: totalNs / iterations, iterations };
}

/** Our median divided by the yardstick's: below 1 is faster than the yardstick. */
export function ratio(ours: Measurement, yardstick: Measurement): number {
  return ours.medianNs / yardstick.medianNs;
}
