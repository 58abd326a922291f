// A step's baseline: the hosts and durations of its past successful runs, as a versioned JSON file
// (docs/anomaly.md, "Baselines and decisions"). A baseline can only narrow what a step may do
// beyond the policy: it never holds patterns (only concrete hosts seen by the supervisor), every
// field is checked on reading, and a file that fails any check is refused whole.
import { SathosError } from '../errors.js';
import { ANOMALY_MAX_WINDOW } from './settings.js';
import type { EgressDecision } from './events.js';
import {
  canonicalHost,
  canonicalHostEntryFor,
  hostPortKey,
  isPort,
  splitHostPort,
} from './hosts.js';

export const BASELINE_FORMAT = 'https://sathos.dev/anomaly/baseline/v1';

export const BASELINE_LIMITS = {
  /** Bytes of a baseline file; a larger one is refused before it is parsed. */
  maxBytes: 4 * 1024 * 1024,
  /** Runs kept; older runs age out when a new one is recorded. */
  maxRuns: ANOMALY_MAX_WINDOW,
  /** Distinct hosts one run may have reached and still be learned from. */
  maxHostsPerRun: 256,
  /** A week: no CI step learned from runs longer than this. */
  maxDurationMs: 7 * 24 * 60 * 60 * 1000,
  maxSourceLength: 256,
} as const;

/** A step id: what `--step` and the action's baseline key name. */
export const STEP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface BaselineRun {
  /** When the run ended, milliseconds since the epoch. */
  readonly at: number;
  readonly durationMs: number;
  /**
   * What the supervisor let the run reach: `host:port` for connections, `host` for name lookups,
   * sorted. Absent when the run was seeded from timings alone (it then counts for durations only).
   */
  readonly hosts?: readonly string[];
  /** Where a seeded run came from, e.g. `github:run/123/job/456`; used to avoid seeding twice. */
  readonly source?: string;
}

export interface Baseline {
  readonly step: string;
  /** Oldest first; at most BASELINE_LIMITS.maxRuns. */
  readonly runs: readonly BaselineRun[];
}

export function emptyBaseline(step: string): Baseline {
  return { step, runs: [] };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The canonical stored spelling of a baseline host entry, or undefined when it is not one. */
export function canonicalHostEntry(entry: string): string | undefined {
  const parts = splitHostPort(entry);
  if (parts === undefined) return undefined;
  const host = canonicalHost(parts.host);
  if (host === undefined) return undefined;
  if (parts.port === undefined) return host.includes(':') ? `[${host}]` : host;
  const port = Number(parts.port);
  return /^\d{1,5}$/.test(parts.port) && isPort(port) ? hostPortKey(host, port) : undefined;
}

type Canonical = (entry: string) => boolean;

// Hosts repeat from run to run: each distinct entry is checked once per file.
function canonicalMemo(): Canonical {
  const seen = new Map<string, boolean>();
  return (entry) => {
    let ok = seen.get(entry);
    if (ok === undefined) {
      ok = canonicalHostEntry(entry) === entry;
      seen.set(entry, ok);
    }
    return ok;
  };
}

function hostsProblems(value: unknown, path: string, canonical: Canonical): string[] {
  if (!Array.isArray(value)) return [`${path} must be a list of strings`];
  if (value.length > BASELINE_LIMITS.maxHostsPerRun)
    return [`${path} has more than ${BASELINE_LIMITS.maxHostsPerRun} entries`];
  const problems: string[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, i) => {
    // Only a host the supervisor could have connected to: `*`, `*.x`, ports 0 or 70000 are not.
    if (typeof entry !== 'string' || !canonical(entry)) {
      problems.push(`${path}[${i}] must be a canonical host or host:port (no patterns)`);
    } else if (seen.has(entry)) {
      // A repeated host would count twice towards knownAfter.
      problems.push(`${path}[${i}] repeats "${entry}"`);
    } else seen.add(entry);
  });
  return problems;
}

function runProblems(value: unknown, path: string, canonical: Canonical): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const problems = Object.keys(value)
    .filter((k) => !['at', 'durationMs', 'hosts', 'source'].includes(k))
    .map((k) => `${path}.${k} is not a known field`);
  if (!Number.isSafeInteger(value.at) || (value.at as number) < 0)
    problems.push(`${path}.at must be a non-negative integer (ms since the epoch)`);
  const duration = value.durationMs;
  if (
    !Number.isSafeInteger(duration) ||
    (duration as number) < 1 ||
    (duration as number) > BASELINE_LIMITS.maxDurationMs
  )
    problems.push(
      `${path}.durationMs must be an integer from 1 to ${BASELINE_LIMITS.maxDurationMs}`,
    );
  if (value.hosts !== undefined)
    problems.push(...hostsProblems(value.hosts, `${path}.hosts`, canonical));
  const source = value.source;
  if (
    source !== undefined &&
    (typeof source !== 'string' ||
      source.length === 0 ||
      source.length > BASELINE_LIMITS.maxSourceLength)
  )
    problems.push(
      `${path}.source must be a non-empty string of at most ${BASELINE_LIMITS.maxSourceLength} characters`,
    );
  return problems;
}

/** Every problem of a parsed baseline document, at most a few dozen. */
export function baselineProblems(value: unknown): string[] {
  if (!isObject(value)) return ['a baseline must be a JSON object'];
  const problems = Object.keys(value)
    .filter((k) => !['format', 'step', 'runs'].includes(k))
    .map((k) => `${k} is not a known field`);
  if (value.format !== BASELINE_FORMAT) problems.push(`format must be "${BASELINE_FORMAT}"`);
  if (typeof value.step !== 'string' || !STEP_ID_PATTERN.test(value.step))
    problems.push(`step must match ${STEP_ID_PATTERN.source}`);
  if (!Array.isArray(value.runs)) problems.push('runs must be a list');
  else if (value.runs.length > BASELINE_LIMITS.maxRuns)
    problems.push(`runs has more than ${BASELINE_LIMITS.maxRuns} entries`);
  else {
    const canonical = canonicalMemo();
    value.runs.forEach((run: unknown, i) =>
      problems.push(...runProblems(run, `runs[${i}]`, canonical)),
    );
  }
  return problems.slice(0, 20);
}

const invalid = (message: string, where: string, cause?: unknown): SathosError =>
  new SathosError(
    'BASELINE_INVALID',
    `${message}; delete it (or change the baseline key) to start a fresh baseline`,
    { where, ...(cause === undefined ? {} : { cause }) },
  );

/** Reads a baseline file's bytes; anything but a valid baseline is BASELINE_INVALID, never a guess. */
export function parseBaseline(bytes: Uint8Array | string, where: string): Baseline {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length;
  if (size > BASELINE_LIMITS.maxBytes)
    throw invalid(
      `the baseline is larger than the limit of ${BASELINE_LIMITS.maxBytes} bytes`,
      where,
    );
  let value: unknown;
  try {
    const text =
      typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (cause) {
    throw invalid('the baseline is not UTF-8 JSON', where, cause);
  }
  const problems = baselineProblems(value);
  if (problems.length > 0) throw invalid(`not a SATHOS baseline: ${problems.join('; ')}`, where);
  const doc = value as { step: string; runs: BaselineRun[] };
  return {
    step: doc.step,
    runs: doc.runs.map((r) => ({
      at: r.at,
      durationMs: r.durationMs,
      ...(r.hosts === undefined ? {} : { hosts: [...r.hosts] }),
      ...(r.source === undefined ? {} : { source: r.source }),
    })),
  };
}

/** The file's text: stable key order, one run per line, a final newline. */
export function serializeBaseline(baseline: Baseline): string {
  const runs = baseline.runs.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `{\n  "format": ${JSON.stringify(BASELINE_FORMAT)},\n  "step": ${JSON.stringify(baseline.step)},\n  "runs": [${runs === '' ? '' : `\n${runs}\n  `}]\n}\n`;
}

/** Appends runs, keeping the newest BASELINE_LIMITS.maxRuns (older ones age out). */
export function withRuns(baseline: Baseline, runs: readonly BaselineRun[]): Baseline {
  return { step: baseline.step, runs: [...baseline.runs, ...runs].slice(-BASELINE_LIMITS.maxRuns) };
}

/** What a supervised run let through, as baseline host entries (sorted, distinct). */
export function reachedHosts(decisions: readonly EgressDecision[]): string[] {
  const hosts = new Set<string>();
  for (const { request, verdict } of decisions) {
    if (verdict.action !== 'allow' && verdict.action !== 'audit') continue;
    const host = canonicalHost(request.host);
    if (host === undefined || (request.protocol !== 'dns' && !isPort(request.port))) continue;
    hosts.add(canonicalHostEntryFor(host, request));
  }
  return [...hosts].sort();
}

/** How a supervised run ended, and what the caller knows about it beyond the supervisor. */
export interface RunOutcome {
  readonly exitCode: number | null;
  readonly halted: boolean;
  readonly durationMs: number;
  readonly decisions: readonly EgressDecision[];
  /** When the run ended, ms since the epoch. */
  readonly at: number;
  /** False when the caller could not vouch for the run (the action: chain not verified, policy denied). */
  readonly trusted?: boolean;
  /** Decisions the supervisor did not keep (its log is bounded): an incomplete log teaches nothing. */
  readonly decisionsDropped?: number;
  /** Packets the sandbox rejected for going around the gateway: refused egress teaches nothing. */
  readonly directEgress?: number;
}

export type LearnResult =
  | { readonly learned: true; readonly baseline: Baseline; readonly run: BaselineRun }
  | { readonly learned: false; readonly reason: string };

/**
 * Learns one run into the baseline, or says why not. Only a run that succeeded, was not halted,
 * had nothing blocked and that its caller vouches for teaches anything: a run that tried a host
 * the supervisor refused is exactly the run a baseline must not learn from.
 */
export function learnRun(baseline: Baseline, outcome: RunOutcome): LearnResult {
  const refused = (reason: string): LearnResult => ({ learned: false, reason });
  if (outcome.trusted === false) return refused('the run was not verified and allowed');
  if (outcome.halted) return refused('the run was halted');
  if (outcome.exitCode !== 0) return refused(`the run exited with ${String(outcome.exitCode)}`);
  if ((outcome.decisionsDropped ?? 0) > 0)
    return refused(`${String(outcome.decisionsDropped)} decisions were not logged`);
  const blocked = outcome.decisions.filter(
    (d) => d.verdict.action === 'block' || d.verdict.action === 'halt',
  ).length;
  if (blocked > 0) return refused(`${blocked} connection(s) were refused`);
  if (outcome.directEgress !== undefined && outcome.directEgress !== 0)
    return refused(`${String(outcome.directEgress)} packet(s) around the gateway were rejected`);
  const durationMs = Math.max(1, Math.round(outcome.durationMs));
  if (!Number.isFinite(durationMs) || durationMs > BASELINE_LIMITS.maxDurationMs)
    return refused(`the run's duration is outside 1 ms to ${BASELINE_LIMITS.maxDurationMs} ms`);
  if (!Number.isSafeInteger(outcome.at) || outcome.at < 0)
    return refused('the run has no valid end time');
  const hosts = reachedHosts(outcome.decisions);
  if (hosts.length > BASELINE_LIMITS.maxHostsPerRun)
    return refused(
      `the run reached ${hosts.length} distinct hosts, more than ${BASELINE_LIMITS.maxHostsPerRun}`,
    );
  const run: BaselineRun = { at: outcome.at, durationMs, hosts };
  return { learned: true, baseline: withRuns(baseline, [run]), run };
}

/** How often each host entry was reached in the last `window` runs that observed hosts. */
export function hostCounts(
  baseline: Baseline,
  window: number,
): { runs: number; counts: Map<string, number> } {
  const observed = baseline.runs.filter((r) => r.hosts !== undefined).slice(-window);
  const counts = new Map<string, number>();
  for (const run of observed)
    for (const host of new Set(run.hosts)) counts.set(host, (counts.get(host) ?? 0) + 1);
  return { runs: observed.length, counts };
}
