// Context reads of a `${{ }}` expression, found with GitHub's own expression parser
// (@actions/expressions): `github.event.issue.title`, `toJSON(github.event)`, `inputs.name`. Only
// reads whose value can land in the result count; a comparison, a negation or contains()/
// startsWith()/endsWith() yields true or false, which no outsider can turn into shell code.
import type { Expr } from '@actions/expressions';
import { Lexer, Parser, data } from '@actions/expressions';
import {
  Binary,
  ContextAccess,
  FunctionCall,
  Grouping,
  IndexAccess,
  Literal,
  Logical,
  Star,
  Unary,
} from '@actions/expressions/ast';

/** Every named context of workflow expressions (contexts reference, GitHub Actions docs). */
export const CONTEXT_NAMES = [
  'github',
  'env',
  'vars',
  'job',
  'jobs',
  'steps',
  'runner',
  'secrets',
  'strategy',
  'matrix',
  'needs',
  'inputs',
] as const;
const BOOLEAN_FUNCTIONS = new Set([
  'contains',
  'startswith',
  'endswith',
  'success',
  'failure',
  'always',
  'cancelled',
]);
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** A read and where in the expression text it starts (0-based column of its first token). */
export interface ExpressionRead {
  readonly path: string;
  /** Whether its value can land in the expression's result. */
  readonly valued: boolean;
}

/** `github.event.issue.title` for an access chain; undefined when it does not start at a context. */
function accessPath(expr: Expr): string | undefined {
  if (expr instanceof ContextAccess) return expr.name.lexeme.toLowerCase();
  if (expr instanceof IndexAccess) {
    const base = accessPath(expr.expr);
    if (base === undefined) return undefined;
    const index = expr.index;
    if (index instanceof Literal && index.literal instanceof data.StringData) {
      const value = index.literal.coerceString().toLowerCase();
      return /^[a-z0-9_-]+$/.test(value) ? `${base}.${value}` : `${base}.*`;
    }
    return `${base}.*`;
  }
  return undefined;
}

function walk(expr: Expr, valued: boolean, out: ExpressionRead[]): void {
  const path = accessPath(expr);
  if (path !== undefined) {
    out.push({ path, valued });
    // A computed index (`github.event[inputs.field]`) is itself read.
    if (
      expr instanceof IndexAccess &&
      !(expr.index instanceof Literal || expr.index instanceof Star)
    )
      walk(expr.index, false, out);
    return;
  }
  if (expr instanceof IndexAccess) {
    walk(expr.expr, valued, out);
    walk(expr.index, false, out);
  } else if (expr instanceof Grouping) walk(expr.group, valued, out);
  else if (expr instanceof Unary) walk(expr.expr, false, out);
  else if (expr instanceof Binary) {
    const compare = COMPARISONS.has(expr.operator.lexeme);
    walk(expr.left, valued && !compare, out);
    walk(expr.right, valued && !compare, out);
  } else if (expr instanceof Logical) {
    // `a && b` and `a || b` yield one of their operands; `!a` yields a bool.
    for (const arg of expr.args) walk(arg, valued, out);
  } else if (expr instanceof FunctionCall) {
    const bool = BOOLEAN_FUNCTIONS.has(expr.functionName.lexeme.toLowerCase());
    for (const arg of expr.args) walk(arg, valued && !bool, out);
  }
}

const MAX_CACHED = 4096;
const cache = new Map<string, readonly ExpressionRead[]>();

/** The context reads of an expression (without `${{ }}`); throws when it does not parse. */
export function expressionReads(expression: string): readonly ExpressionRead[] {
  const known = cache.get(expression);
  if (known !== undefined) return known;
  const lexed = new Lexer(expression).lex();
  const parsed = new Parser(lexed.tokens, [...CONTEXT_NAMES], []).parse();
  const out: ExpressionRead[] = [];
  walk(parsed, true, out);
  // The same expression recurs across jobs and workflows (secrets, event fields); parse it once.
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(expression, out);
  return out;
}
