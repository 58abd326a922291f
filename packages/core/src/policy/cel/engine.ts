// Our own small interface over @bufbuild/cel: the only module that imports it. An expression is
// compiled once (parsed, checked, planned); evaluating it never throws and never yields anything
// but a bool or a reason why not.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { Budget } from './budget.js';
import { BudgetExceeded, withBudget } from './budget.js';
import { checkExpression } from './check.js';
import { addLoopChecks, loopBudgetFunc } from './loop-checks.js';
import { cachedRe2 } from './regex.js';
import type { CelVariables } from './values.js';

const env = celEnv({ re2: cachedRe2, funcs: [loopBudgetFunc] });

export type Evaluation =
  | { readonly ok: true; readonly value: boolean }
  | { readonly ok: false; readonly error: string; readonly timedOut?: true };

export interface CompiledExpression {
  readonly source: string;
  /** The variables the expression reads. */
  readonly variables: ReadonlySet<string>;
  evaluate(variables: CelVariables, budget: Budget): Evaluation;
}

/** Why an expression cannot be compiled: every problem, one line each. */
export class CelCompileError extends Error {
  override readonly name = 'CelCompileError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

const firstLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n', 1)[0] ?? '';

/** Parses, checks and plans a CEL expression that must yield a bool; throws CelCompileError. */
export function compileExpression(source: string): CompiledExpression {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    throw new CelCompileError([
      `does not parse: ${firstLine(error).replace(/^syntax error: /, '')}`,
    ]);
  }
  const checked = checkExpression(env, parsed.expr);
  if (checked.problems.length > 0) throw new CelCompileError(checked.problems);
  addLoopChecks(parsed.expr);
  let run: ReturnType<typeof plan>;
  try {
    run = plan(env, parsed);
  } catch (error) {
    throw new CelCompileError([`cannot be planned: ${firstLine(error)}`]);
  }
  return {
    source,
    variables: checked.variables,
    evaluate(variables, budget) {
      try {
        budget.check();
        const value = withBudget(budget, () => run(variables.values as never));
        if (budget.exceeded) return { ok: false, error: 'time limit exceeded', timedOut: true };
        if (isCelError(value)) {
          const cause = value.cause instanceof BudgetExceeded ? value.cause : undefined;
          if (cause !== undefined)
            return { ok: false, error: 'time limit exceeded', timedOut: true };
          return { ok: false, error: firstLine(value) };
        }
        if (typeof value !== 'boolean') return { ok: false, error: 'did not evaluate to a bool' };
        return { ok: true, value };
      } catch (error) {
        if (error instanceof BudgetExceeded)
          return { ok: false, error: 'time limit exceeded', timedOut: true };
        return { ok: false, error: firstLine(error) };
      }
    },
  };
}
