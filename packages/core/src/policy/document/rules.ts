// `rules`: CEL expressions that must be true, each with an id and a message. Every expression is
// compiled here, at load time; a rule that cannot compile names its id.
import type { CompiledExpression } from '../cel/engine.js';
import { CelCompileError, compileExpression } from '../cel/engine.js';
import type { PolicyProblem } from './problem.js';
import { keyProblem, problem } from './problem.js';
import { isObject, isString } from './fields.js';
import { POLICY_LIMITS } from './limits.js';

export const RULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface PolicyRule {
  readonly id: string;
  /** The stages it applies to; absent: every stage. */
  readonly stages?: readonly string[];
  /** The deploy environments it applies to; absent: every decision. */
  readonly environments?: readonly string[];
  readonly expression: string;
  readonly message: string;
  readonly compiled: CompiledExpression;
}

const FIELDS = ['id', 'stage', 'environments', 'expression', 'message'];

function namesProblems(
  value: unknown,
  path: readonly (string | number)[],
  label: string,
  known: readonly string[],
  what: string,
): PolicyProblem[] {
  const list = isString(value) ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isString))
    return [problem(path, `${label} must be a name or a non-empty list of names`)];
  return list
    .filter((s) => !known.includes(s))
    .map((s) => problem(path, `${label} names ${what} "${s}" the policy does not declare`));
}

interface Context {
  readonly stages: readonly string[];
  readonly environments: readonly string[];
}

function ruleProblems(
  rule: unknown,
  i: number,
  ctx: Context,
  seen: Set<string>,
): { problems: PolicyProblem[]; rule?: PolicyRule } {
  const path = ['rules', i];
  if (!isObject(rule))
    return {
      problems: [problem(path, `rules[${i}] must be an object with id, expression and message`)],
    };
  const id = rule.id;
  const label = isString(id) && RULE_ID_PATTERN.test(id) ? `rule "${id}"` : `rules[${i}]`;
  const problems: PolicyProblem[] = [];
  const unknown = Object.keys(rule).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0)
    problems.push(
      keyProblem(
        [...path, unknown[0] ?? ''],
        `${label} has unknown field(s) ${unknown.join(', ')} (known: ${FIELDS.join(', ')})`,
      ),
    );
  if (!isString(id) || !RULE_ID_PATTERN.test(id)) {
    problems.push(
      problem(
        [...path, 'id'],
        `${label}.id must be a name like "tests-passed" (${String(RULE_ID_PATTERN)})`,
      ),
    );
  } else if (seen.has(id)) {
    problems.push(
      problem([...path, 'id'], `${label}: the id is used by another rule; ids must be unique`),
    );
  } else seen.add(id);
  if (rule.stage !== undefined)
    problems.push(
      ...namesProblems(rule.stage, [...path, 'stage'], `${label}.stage`, ctx.stages, 'stage'),
    );
  if (rule.environments !== undefined)
    problems.push(
      ...namesProblems(
        rule.environments,
        [...path, 'environments'],
        `${label}.environments`,
        ctx.environments,
        'environment',
      ),
    );
  if (!isString(rule.message) || rule.message.trim() === '') {
    problems.push(
      problem([...path, 'message'], `${label}.message must say what the rule requires`),
    );
  } else if (rule.message.length > POLICY_LIMITS.maxMessageLength) {
    problems.push(
      problem(
        [...path, 'message'],
        `${label}.message is longer than ${POLICY_LIMITS.maxMessageLength} characters`,
      ),
    );
  }
  const expression = rule.expression;
  let compiled: CompiledExpression | undefined;
  if (!isString(expression) || expression.trim() === '') {
    problems.push(problem([...path, 'expression'], `${label}.expression must be a CEL expression`));
  } else if (expression.length > POLICY_LIMITS.maxExpressionLength) {
    problems.push(
      problem(
        [...path, 'expression'],
        `${label}.expression is longer than ${POLICY_LIMITS.maxExpressionLength} characters`,
      ),
    );
  } else {
    try {
      compiled = compileExpression(expression);
    } catch (error) {
      const reasons = error instanceof CelCompileError ? error.problems : [String(error)];
      problems.push(
        ...reasons.map((r) => problem([...path, 'expression'], `${label}: expression ${r}`)),
      );
    }
  }
  if (problems.length > 0 || compiled === undefined) return { problems };
  const stages =
    rule.stage === undefined ? undefined : ([] as string[]).concat(rule.stage as string | string[]);
  const environments =
    rule.environments === undefined
      ? undefined
      : ([] as string[]).concat(rule.environments as string | string[]);
  return {
    problems,
    rule: {
      id: id as string,
      ...(stages === undefined ? {} : { stages }),
      ...(environments === undefined ? {} : { environments }),
      expression: expression as string,
      message: rule.message as string,
      compiled,
    },
  };
}

/** Checks and compiles every rule; the rules are returned only when there is no problem. */
export function readRules(
  value: unknown,
  ctx: Context,
): { problems: PolicyProblem[]; rules: PolicyRule[] } {
  if (value === undefined) return { problems: [], rules: [] };
  if (!Array.isArray(value))
    return { problems: [problem(['rules'], 'rules must be a list')], rules: [] };
  if (value.length > POLICY_LIMITS.maxRules)
    return {
      problems: [problem(['rules'], `rules has more than ${POLICY_LIMITS.maxRules} entries`)],
      rules: [],
    };
  const seen = new Set<string>();
  const results = value.map((rule, i) => ruleProblems(rule, i, ctx, seen));
  return {
    problems: results.flatMap((r) => r.problems),
    rules: results.flatMap((r) => (r.rule === undefined ? [] : [r.rule])),
  };
}
