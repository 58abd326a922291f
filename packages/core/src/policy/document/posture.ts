// `posture`: what the workflows at the verified commit may look like (docs/posture.md): which
// baseline findings deny, whether the action lock must match, and CEL rules over `workflow`.
import type { PolicyProblem } from './problem.js';
import { problem } from './problem.js';
import { isObject, isString, stringListProblems, unknownFields } from './fields.js';
import type { PolicyRule } from './rules.js';
import { readRules } from './rules.js';

/**
 * The baseline rules core/posture checks, by name: the vocabulary `posture.deny` is validated
 * against. It lives with the policy section (below core/posture) so the policy imports no posture.
 */
export const FINDING_RULES = [
  'untrusted-checkout',
  'expression-injection',
  'unpinned-action',
  'unpinned-first-party-action',
  'token-default-permissions',
  'token-write-all',
  'token-workflow-write',
  'persist-credentials',
  'cache-in-release',
  'self-hosted-untrusted',
  'secrets-inherit',
] as const;
export type FindingRule = (typeof FINDING_RULES)[number];

/** Where the action lock is read when the policy names no `lockFile`. */
export const DEFAULT_LOCK_FILE = '.github/sathos-actions.lock.json';

/** `required`: a lock must exist and match; `if-present`: a lock in the repository must match; `off`. */
export const LOCK_MODES = ['required', 'if-present', 'off'] as const;
export type LockMode = (typeof LOCK_MODES)[number];

export interface PosturePolicy {
  /** Baseline rules whose findings deny. */
  readonly deny: readonly FindingRule[];
  readonly lock: LockMode;
  /** Repository-relative path of the lock, read at the verified commit. */
  readonly lockFile: string;
  /** CEL rules over `workflow`; each must be true. */
  readonly rules: readonly PolicyRule[];
}

const FIELDS = ['deny', 'lock', 'lockFile', 'rules'];
const LOCK_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/-]{1,256}$/;

/** The rules' problems, re-rooted under `posture` so each is located at its own node. */
function postureRules(value: unknown): { problems: PolicyProblem[]; rules: PolicyRule[] } {
  const read = readRules(value, { stages: [], environments: [] });
  return {
    rules: read.rules,
    problems: read.problems.map((p) => ({
      ...p,
      path: ['posture', ...p.path],
      message: p.message.startsWith('rules') ? `posture.${p.message}` : p.message,
    })),
  };
}

export function postureProblems(value: unknown): PolicyProblem[] {
  if (value === undefined) return [];
  const path = ['posture'];
  if (!isObject(value))
    return [problem(path, 'posture must be an object {deny, lock, lockFile, rules}')];
  const problems = unknownFields(value, FIELDS, path);
  if (value.deny !== undefined)
    problems.push(
      ...stringListProblems(value.deny, [...path, 'deny'], FINDING_RULES.length, (s, p) =>
        (FINDING_RULES as readonly string[]).includes(s)
          ? []
          : [
              problem(
                p,
                `posture.deny names "${s}", which is not a posture rule (${FINDING_RULES.join(', ')})`,
              ),
            ],
      ),
    );
  if (value.lock !== undefined && !(LOCK_MODES as readonly unknown[]).includes(value.lock))
    problems.push(
      problem([...path, 'lock'], `posture.lock must be one of ${LOCK_MODES.join(', ')}`),
    );
  if (
    value.lockFile !== undefined &&
    (!isString(value.lockFile) || !LOCK_PATH.test(value.lockFile))
  )
    problems.push(
      problem(
        [...path, 'lockFile'],
        'posture.lockFile must be a relative path inside the repository (no .., no leading /)',
      ),
    );
  if (value.rules !== undefined) problems.push(...postureRules(value.rules).problems);
  return problems;
}

export function readPosture(value: unknown): PosturePolicy | undefined {
  if (!isObject(value)) return undefined;
  return {
    deny: Array.isArray(value.deny) ? (value.deny as FindingRule[]) : [],
    lock: (value.lock as LockMode | undefined) ?? 'if-present',
    lockFile: isString(value.lockFile) ? value.lockFile : DEFAULT_LOCK_FILE,
    rules: postureRules(value.rules).rules,
  };
}
