// What the deploy gate demands before it allows a deploy to one environment (docs/policy.md
// § environments): change windows (allowed weekdays and hours in a time zone, freeze periods),
// required approvals, and whether anomaly findings recorded earlier in the chain deny. Loading
// checks every field and reports each problem; nothing here reads a clock — the gate records the
// time it decided at and the checks read that (policy/evaluate/gate-checks.ts).
import type { PolicyPath, PolicyProblem } from './problem.js';
import { pathText, problem } from './problem.js';
import type { Json } from './fields.js';
import { isObject, isString, stringListProblems, unknownFields } from './fields.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const GATE_LIMITS = { maxWindows: 32, maxFreezes: 64, maxApprovers: 256 } as const;

/** Minutes after midnight, [start, end): `09:00-17:00` is 540–1020. */
export interface AllowedWindow {
  readonly days: readonly Weekday[];
  readonly startMinute: number;
  readonly endMinute: number;
}

export interface Freeze {
  /** Epoch milliseconds, [from, until). */
  readonly from: number;
  readonly until: number;
  readonly reason?: string;
}

export interface ChangeWindows {
  /** An IANA time zone (default UTC): the days and hours of `allow` are read there. */
  readonly timeZone: string;
  /** A deploy is decided inside one of these; absent: at any time not frozen. */
  readonly allow?: readonly AllowedWindow[];
  readonly freezes: readonly Freeze[];
}

export interface ApprovalDemand {
  /** Distinct approvers needed. */
  readonly required: number;
  /** Logins whose approval counts; absent: anyone's (GitHub already limits who can approve). */
  readonly from?: readonly string[];
}

/** The gate's demands for one environment. */
export interface GateDemands {
  readonly changeWindows?: ChangeWindows;
  readonly approvals?: ApprovalDemand;
  /** `deny` (the default): an anomaly finding or halted step recorded earlier denies the gate. */
  readonly anomalies: 'deny' | 'allow';
}

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;
/** An RFC 3339 time with an explicit offset: a freeze means the same instant everywhere. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** A GitHub login (a user, or an app's `name[bot]`): the only approver names recorded or counted. */
export const GITHUB_LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:\[bot\])?$/;

/** `09:00-17:00` as minutes, or undefined when it is not one window within a day. */
export function parseHours(text: string): { start: number; end: number } | undefined {
  const m = HOURS.exec(text);
  if (m === null) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return end > start && end <= 24 * 60 ? { start, end } : undefined;
}

export function instant(text: unknown): number | undefined {
  if (!isString(text) || !INSTANT.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export function validTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Each item's problems, or the one problem of a value that is not a short enough list. */
function listProblems(
  value: unknown,
  path: PolicyPath,
  max: number,
  item: (v: unknown, p: PolicyPath) => PolicyProblem[],
): PolicyProblem[] {
  if (!Array.isArray(value)) return [problem(path, `${pathText(path)} must be a list`)];
  if (value.length > max) return [problem(path, `${pathText(path)} has more than ${max} entries`)];
  return value.flatMap((v: unknown, i) => item(v, [...path, i]));
}

function windowProblems(value: unknown, path: PolicyPath): PolicyProblem[] {
  if (!isObject(value)) return [problem(path, `${pathText(path)} must be {days, hours}`)];
  const problems = unknownFields(value, ['days', 'hours'], path);
  problems.push(
    ...stringListProblems(value.days, [...path, 'days'], 7, (d, p) =>
      (WEEKDAYS as readonly string[]).includes(d)
        ? []
        : [problem(p, `${pathText(p)} "${d}" is not one of ${WEEKDAYS.join(', ')}`)],
    ),
  );
  if (!isString(value.hours) || parseHours(value.hours) === undefined)
    problems.push(
      problem(
        [...path, 'hours'],
        `${pathText([...path, 'hours'])} must be "HH:MM-HH:MM" with the end after the start (split a window across midnight in two)`,
      ),
    );
  return problems;
}

function freezeProblems(value: unknown, path: PolicyPath): PolicyProblem[] {
  if (!isObject(value)) return [problem(path, `${pathText(path)} must be {from, until, reason}`)];
  const problems = unknownFields(value, ['from', 'until', 'reason'], path);
  const from = instant(value.from);
  const until = instant(value.until);
  for (const [key, ms] of [
    ['from', from],
    ['until', until],
  ] as const)
    if (ms === undefined)
      problems.push(
        problem(
          [...path, key],
          `${pathText([...path, key])} must be an RFC 3339 time with an offset (2026-12-20T00:00:00Z)`,
        ),
      );
  if (from !== undefined && until !== undefined && until <= from)
    problems.push(
      problem([...path, 'until'], `${pathText([...path, 'until'])} must be after from`),
    );
  if (value.reason !== undefined && !isString(value.reason))
    problems.push(problem([...path, 'reason'], `${pathText([...path, 'reason'])} must be text`));
  return problems;
}

function changeWindowProblems(value: unknown, path: PolicyPath): PolicyProblem[] {
  if (!isObject(value))
    return [problem(path, `${pathText(path)} must be {timeZone, allow, freezes}`)];
  const problems = unknownFields(value, ['timeZone', 'allow', 'freezes'], path);
  if (value.timeZone !== undefined && !(isString(value.timeZone) && validTimeZone(value.timeZone)))
    problems.push(
      problem(
        [...path, 'timeZone'],
        `${pathText([...path, 'timeZone'])} must be an IANA time zone`,
      ),
    );
  for (const [key, max, check] of [
    ['allow', GATE_LIMITS.maxWindows, windowProblems],
    ['freezes', GATE_LIMITS.maxFreezes, freezeProblems],
  ] as const) {
    if (value[key] !== undefined)
      problems.push(...listProblems(value[key], [...path, key], max, check));
  }
  if (Array.isArray(value.allow) && value.allow.length === 0)
    problems.push(
      problem([...path, 'allow'], `${pathText([...path, 'allow'])} is empty: no deploy could pass`),
    );
  return problems;
}

function approvalProblems(value: unknown, path: PolicyPath): PolicyProblem[] {
  if (!isObject(value)) return [problem(path, `${pathText(path)} must be {required, from}`)];
  const problems = unknownFields(value, ['required', 'from'], path);
  const required = value.required;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1 || required > 32)
    problems.push(
      problem(
        [...path, 'required'],
        `${pathText([...path, 'required'])} must be a whole number 1–32`,
      ),
    );
  if (value.from !== undefined)
    problems.push(
      ...stringListProblems(value.from, [...path, 'from'], GATE_LIMITS.maxApprovers, (s, p) =>
        GITHUB_LOGIN.test(s) ? [] : [problem(p, `${pathText(p)} "${s}" is not a GitHub login`)],
      ),
    );
  return problems;
}

/** Problems of the gate fields of `environments.<name>` (the other fields are checked beside). */
export function gateDemandProblems(env: Json, path: PolicyPath): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  if (env.changeWindows !== undefined)
    problems.push(...changeWindowProblems(env.changeWindows, [...path, 'changeWindows']));
  if (env.approvals !== undefined)
    problems.push(...approvalProblems(env.approvals, [...path, 'approvals']));
  if (env.anomalies !== undefined && env.anomalies !== 'deny' && env.anomalies !== 'allow')
    problems.push(
      problem([...path, 'anomalies'], `${pathText([...path, 'anomalies'])} must be deny or allow`),
    );
  return problems;
}

function readWindows(value: Json): ChangeWindows {
  const allow = Array.isArray(value.allow)
    ? (value.allow as Json[]).map((w): AllowedWindow => {
        const hours = parseHours(String(w.hours)) ?? { start: 0, end: 0 };
        return {
          days: w.days as Weekday[],
          startMinute: hours.start,
          endMinute: hours.end,
        };
      })
    : undefined;
  const freezes = Array.isArray(value.freezes)
    ? (value.freezes as Json[]).map((f): Freeze => ({
        from: instant(f.from) ?? 0,
        until: instant(f.until) ?? 0,
        ...(isString(f.reason) ? { reason: f.reason } : {}),
      }))
    : [];
  return {
    timeZone: isString(value.timeZone) ? value.timeZone : 'UTC',
    ...(allow === undefined ? {} : { allow }),
    freezes,
  };
}

/** The demands of a valid environment entry. */
export function readGateDemands(env: unknown): GateDemands {
  if (!isObject(env)) return { anomalies: 'deny' };
  const approvals = isObject(env.approvals) ? env.approvals : undefined;
  return {
    ...(isObject(env.changeWindows) ? { changeWindows: readWindows(env.changeWindows) } : {}),
    ...(approvals === undefined
      ? {}
      : {
          approvals: {
            required: approvals.required as number,
            ...(Array.isArray(approvals.from) ? { from: approvals.from as string[] } : {}),
          },
        }),
    anomalies: env.anomalies === 'allow' ? 'allow' : 'deny',
  };
}
