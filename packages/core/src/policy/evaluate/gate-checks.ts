// The deploy gate's built-in checks (docs/gate.md): a `decision` about an environment must fall in
// its change windows and outside its freezes, carry the approvals it requires, and follow no record
// the anomaly supervisor flagged. They read what the gate recorded (`observations.gate`: the time
// it decided at, the approvals it found) — never a clock — so a verifier re-evaluating the decision
// later reaches the same verdict from the signed record.
import { isCelList, isCelMap } from '@bufbuild/cel';
import type { Policy } from '../document/document.js';
import type { ChangeWindows, GateDemands, Weekday } from '../document/gate-demands.js';
import { GITHUB_LOGIN, instant } from '../document/gate-demands.js';
import type { CelVariables } from '../cel/values.js';
import type { RuleResult } from './decision.js';

/** The stage the gate records its decision as. */
export const GATE_STAGE = 'decision';

/** A field of nested CEL maps; undefined as soon as a step is not a map. */
export function celPath(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (!isCelMap(at)) return undefined;
    at = at.get(key);
  }
  return at;
}

const fail = (id: string, message: string, error: string): RuleResult => ({
  id,
  passed: false,
  message,
  error,
});

const MAX_QUOTED = 8;

/**
 * Formatters by time zone: building one costs about a millisecond, more than the rest of a
 * decision. Bounded: a policy names at most 64 environments, each one zone.
 */
const FORMATTERS = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 256;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = FORMATTERS.get(timeZone);
  if (found === undefined) {
    if (FORMATTERS.size >= MAX_FORMATTERS) FORMATTERS.clear();
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    FORMATTERS.set(timeZone, found);
  }
  return found;
}

/** Weekday and minute of the day of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { day: Weekday; minute: number } {
  const parts = formatter(timeZone).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    day: part('weekday').toLowerCase().slice(0, 3) as Weekday,
    minute: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

/** Why `at` is outside the windows, or undefined when a deploy may be decided then. */
export function outsideWindows(windows: ChangeWindows, at: Date): string | undefined {
  const ms = at.getTime();
  const freeze = windows.freezes.find((f) => ms >= f.from && ms < f.until);
  if (freeze !== undefined)
    return `${at.toISOString()} is in the freeze ${new Date(freeze.from).toISOString()}–${new Date(freeze.until).toISOString()}${freeze.reason === undefined ? '' : ` (${freeze.reason})`}`;
  if (windows.allow === undefined) return undefined;
  const { day, minute } = localTime(at, windows.timeZone);
  const open = windows.allow.some(
    (w) => w.days.includes(day) && minute >= w.startMinute && minute < w.endMinute,
  );
  if (open) return undefined;
  const hh = String(Math.floor(minute / 60)).padStart(2, '0');
  const mm = String(minute % 60).padStart(2, '0');
  return `${at.toISOString()} is ${day} ${hh}:${mm} in ${windows.timeZone}, outside every allowed window`;
}

function windowFailures(windows: ChangeWindows | undefined, observations: unknown): RuleResult[] {
  if (windows === undefined) return [];
  const message = 'a deploy here is decided inside its change windows';
  const ms = instant(celPath(observations, ['gate', 'time']));
  if (ms === undefined)
    return [fail('sathos:change-window', message, 'the decision records no time (gate.time)')];
  const outside = outsideWindows(windows, new Date(ms));
  return outside === undefined ? [] : [fail('sathos:change-window', message, outside)];
}

/** The distinct approvers recorded (lowercased: GitHub logins are case-insensitive). */
function recordedApprovers(observations: unknown): Set<string> {
  const list = celPath(observations, ['gate', 'approvals']);
  const out = new Set<string>();
  if (!isCelList(list)) return out;
  for (const item of list) {
    const by = celPath(item, ['by']);
    if (typeof by === 'string' && GITHUB_LOGIN.test(by)) out.add(by.toLowerCase());
  }
  return out;
}

function approvalFailures(demands: GateDemands, observations: unknown): RuleResult[] {
  const demand = demands.approvals;
  if (demand === undefined) return [];
  const allowed = demand.from?.map((l) => l.toLowerCase());
  // An app (`name[bot]`) is no person's consent — a workflow's GITHUB_TOKEN approves pull requests
  // as github-actions[bot] — so it counts only when the policy names it.
  const counted = [...recordedApprovers(observations)].filter((by) =>
    allowed === undefined ? !by.endsWith('[bot]') : allowed.includes(by),
  );
  if (counted.length >= demand.required) return [];
  const who = allowed === undefined ? '' : ` from ${demand.from?.join(', ') ?? ''}`;
  return [
    fail(
      'sathos:approvals',
      `a deploy here needs ${demand.required} approval(s)${who}`,
      `${counted.length} found${counted.length > 0 ? `: ${counted.slice(0, MAX_QUOTED).join(', ')}` : ''}`,
    ),
  ];
}

/** Stages of earlier records whose supervisor recorded a finding or halted the step. */
function flaggedStages(records: unknown): string[] {
  const flagged = new Set<string>();
  if (!isCelList(records)) return [];
  for (const record of records) {
    const anomaly = celPath(record, ['observations', 'anomaly']);
    if (anomaly === undefined) continue;
    const findings = celPath(anomaly, ['findings']);
    const halted = celPath(anomaly, ['halted']) === true;
    const found = isCelList(findings) ? findings.size > 0 : false;
    const omitted = celPath(anomaly, ['findingsOmitted']);
    const stage = celPath(record, ['stage']);
    if (
      (halted || found || (typeof omitted === 'bigint' && omitted > 0n)) &&
      typeof stage === 'string'
    )
      flagged.add(stage);
  }
  return [...flagged].slice(0, MAX_QUOTED);
}

function anomalyFailures(demands: GateDemands, records: unknown): RuleResult[] {
  if (demands.anomalies === 'allow') return [];
  const flagged = flaggedStages(records);
  if (flagged.length === 0) return [];
  return [
    fail(
      'sathos:anomaly',
      'no earlier step of the chain was flagged by the anomaly supervisor',
      `findings recorded by the ${flagged.join(', ')} step(s)`,
    ),
  ];
}

/**
 * A step after the gate (the deploy) goes only where the gate decided: every decision record
 * before it names its environment. Else a decision about a lenient environment (staging) would
 * carry a deploy to a strict one (production) whose windows and approvals were never checked.
 */
function decidedElsewhere(records: unknown, environment: string): RuleResult[] {
  if (!isCelList(records)) return [];
  const elsewhere = new Set<string>();
  for (const record of records) {
    if (celPath(record, ['stage']) !== GATE_STAGE) continue;
    const named = celPath(record, ['observations', 'environment']);
    if (named !== environment)
      elsewhere.add(typeof named === 'string' ? `"${named.slice(0, 64)}"` : 'no environment');
  }
  if (elsewhere.size === 0) return [];
  return [
    fail(
      'sathos:environment',
      `a step after the ${GATE_STAGE} goes to the environment the ${GATE_STAGE} was about`,
      `the ${GATE_STAGE} was about ${[...elsewhere].slice(0, MAX_QUOTED).join(', ')}, not "${environment}"; run the gate for "${environment}"`,
    ),
  ];
}

/** The gate's checks for a decision about a declared environment, and for the steps after it. */
export function gateFailures(
  policy: Policy,
  stage: string,
  environment: string,
  variables: CelVariables,
): RuleResult[] {
  if (environment === '') return [];
  if (stage !== GATE_STAGE) return decidedElsewhere(variables.values.records, environment);
  const env = Object.hasOwn(policy.environments, environment)
    ? policy.environments[environment]
    : undefined;
  if (env === undefined) return [];
  const { observations, records } = variables.values;
  return [
    ...windowFailures(env.gate.changeWindows, observations),
    ...approvalFailures(env.gate, observations),
    ...anomalyFailures(env.gate, records),
  ];
}
