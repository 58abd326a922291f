// `anomaly`: what the supervisor of a step allows (DESIGN.md §6): the hosts a step may reach, what
// to do about anything else, and how much longer than its baseline a step may run.
import type { PolicyProblem } from './policy-problem.js';
import { problem } from './policy-problem.js';
import { isObject, stringListProblems, unknownFields } from './policy-fields.js';
import { POLICY_LIMITS } from './policy-limits.js';

export const ANOMALY_MODES = ['audit', 'block', 'halt'] as const;
export type AnomalyMode = (typeof ANOMALY_MODES)[number];

/** `host`, `*.host` (any subdomain), an IPv4 or `[IPv6]` literal, each with an optional `:port`. */
export const HOST_PATTERN =
  /^(?:(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

export interface AnomalyPolicy {
  readonly mode?: AnomalyMode;
  readonly allowedHosts: readonly string[];
  /** A step may run this many times its baseline's median duration (> 1). */
  readonly durationRatio?: number;
}

export function anomalyProblems(value: unknown): PolicyProblem[] {
  if (value === undefined) return [];
  const path = ['anomaly'];
  if (!isObject(value))
    return [problem(path, 'anomaly must be an object {mode, allowedHosts, durationRatio}')];
  const problems = unknownFields(value, ['mode', 'allowedHosts', 'durationRatio'], path);
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
          HOST_PATTERN.test(h) && h.length <= 260
            ? []
            : [
                problem(
                  p,
                  `anomaly.allowedHosts entry "${h}" must be a lowercase host, *.domain or [ip], with an optional :port`,
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
  return problems;
}

export function readAnomaly(value: unknown): AnomalyPolicy | undefined {
  if (!isObject(value)) return undefined;
  return {
    ...(value.mode === undefined ? {} : { mode: value.mode as AnomalyMode }),
    allowedHosts: Array.isArray(value.allowedHosts) ? (value.allowedHosts as string[]) : [],
    ...(typeof value.durationRatio === 'number' ? { durationRatio: value.durationRatio } : {}),
  };
}
