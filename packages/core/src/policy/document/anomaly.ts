// `anomaly`: what the supervisor of a step allows (docs/anomaly.md): the hosts a step may reach, what
// to do about anything else, how much longer than its baseline a step may run, and how much history
// a baseline needs before it counts.
import type { PolicyProblem } from './problem.js';
import { problem } from './problem.js';
import { isObject, stringListProblems, unknownFields } from './fields.js';
import { POLICY_LIMITS } from './limits.js';
import { parseHostPattern } from '../../anomaly/hosts.js';
import type { AnomalyMode, AnomalyPolicy } from '../../anomaly/settings.js';
import { ANOMALY_MAX_WINDOW, ANOMALY_MODES } from '../../anomaly/settings.js';

/** `host`, `*.host` (any subdomain), an IPv4 or `[IPv6]` literal, each with an optional `:port`. */
export const HOST_PATTERN =
  /^(?:(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

const ANOMALY_FIELDS = ['mode', 'allowedHosts', 'durationRatio', 'minRuns', 'knownAfter'];

const isCount = (v: unknown, max: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max;

function knownAfterProblems(value: unknown): PolicyProblem[] {
  const path = ['anomaly', 'knownAfter'];
  const shape = `anomaly.knownAfter must be {seen, of}: integers with 1 ≤ seen ≤ of ≤ ${ANOMALY_MAX_WINDOW}`;
  if (value === undefined) return [];
  if (!isObject(value)) return [problem(path, shape)];
  const problems = unknownFields(value, ['seen', 'of'], path);
  const { seen, of } = value;
  if (!isCount(seen, ANOMALY_MAX_WINDOW) || !isCount(of, ANOMALY_MAX_WINDOW) || seen > of)
    problems.push(problem(path, shape));
  return problems;
}

export function anomalyProblems(value: unknown): PolicyProblem[] {
  if (value === undefined) return [];
  const path = ['anomaly'];
  if (!isObject(value))
    return [
      problem(
        path,
        'anomaly must be an object {mode, allowedHosts, durationRatio, minRuns, knownAfter}',
      ),
    ];
  const problems = unknownFields(value, ANOMALY_FIELDS, path);
  if (value.mode !== undefined && !(ANOMALY_MODES as readonly unknown[]).includes(value.mode))
    problems.push(
      problem([...path, 'mode'], `anomaly.mode must be one of ${ANOMALY_MODES.join(', ')}`),
    );
  if (value.allowedHosts !== undefined) {
    problems.push(
      ...stringListProblems(
        value.allowedHosts,
        [...path, 'allowedHosts'],
        POLICY_LIMITS.maxAllowedHosts,
        (h, p) =>
          HOST_PATTERN.test(h) && h.length <= 260 && parseHostPattern(h) !== undefined
            ? []
            : [
                problem(
                  p,
                  `anomaly.allowedHosts entry "${h}" must be a lowercase host, *.domain or [ip], with an optional :port from 1 to 65535`,
                ),
              ],
      ),
    );
  }
  const ratio = value.durationRatio;
  if (
    ratio !== undefined &&
    (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 1 || ratio > 1000)
  )
    problems.push(
      problem(
        [...path, 'durationRatio'],
        'anomaly.durationRatio must be a number above 1 (and at most 1000)',
      ),
    );
  if (value.minRuns !== undefined && !isCount(value.minRuns, ANOMALY_MAX_WINDOW))
    problems.push(
      problem(
        [...path, 'minRuns'],
        `anomaly.minRuns must be an integer from 1 to ${ANOMALY_MAX_WINDOW}`,
      ),
    );
  problems.push(...knownAfterProblems(value.knownAfter));
  return problems;
}

export function readAnomaly(value: unknown): AnomalyPolicy | undefined {
  if (!isObject(value)) return undefined;
  return {
    ...(value.mode === undefined ? {} : { mode: value.mode as AnomalyMode }),
    allowedHosts: Array.isArray(value.allowedHosts) ? (value.allowedHosts as string[]) : [],
    ...(typeof value.durationRatio === 'number' ? { durationRatio: value.durationRatio } : {}),
    ...(typeof value.minRuns === 'number' ? { minRuns: value.minRuns } : {}),
    ...(isObject(value.knownAfter)
      ? { knownAfter: { seen: value.knownAfter.seen as number, of: value.knownAfter.of as number } }
      : {}),
  };
}
