// Small readers shared by the policy section validators: each returns problems, never throws.
import type { PolicyPath, PolicyProblem } from './problem.js';
import { keyProblem, pathText, problem } from './problem.js';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const isString = (v: unknown): v is string => typeof v === 'string';

/** Fields other than `allowed`, each reported at its key. */
export function unknownFields(
  value: Json,
  allowed: readonly string[],
  path: PolicyPath,
): PolicyProblem[] {
  return Object.keys(value)
    .filter((k) => !allowed.includes(k))
    .map((k) =>
      keyProblem(
        [...path, k],
        `${pathText([...path, k])} is not a known field (known: ${allowed.join(', ')})`,
      ),
    );
}

/** A list of strings, each checked by `item`; returns problems. */
export function stringListProblems(
  value: unknown,
  path: PolicyPath,
  max: number,
  item: (s: string, p: PolicyPath) => PolicyProblem[] = () => [],
): PolicyProblem[] {
  if (!Array.isArray(value)) return [problem(path, `${pathText(path)} must be a list of strings`)];
  if (value.length > max) return [problem(path, `${pathText(path)} has more than ${max} entries`)];
  return value.flatMap((v, i) =>
    isString(v)
      ? item(v, [...path, i])
      : [problem([...path, i], `${pathText([...path, i])} must be a string`)],
  );
}
