// `${{ }}` as the runner evaluates it, through GitHub's own expression engine (@actions/expressions):
// the parser already turned every `${{ }}` of the workflow into a BasicExpressionToken (several in
// one string become one format() call), so a value is either literal or one expression to evaluate.
// The status functions (success(), failure(), always(), cancelled()) are the runner's to answer.
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import {
  isBasicExpression,
  isBoolean,
  isLiteral,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import { SathosError, describeCause } from '@sathos/core';
import { CONTEXT_NAMES } from '../posture/expressions.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Every context a step may read (the posture check parses with the same list); contexts a scope
// does not hold are empty.
export { CONTEXT_NAMES };
export type ContextName = (typeof CONTEXT_NAMES)[number];
export type Contexts = Partial<Record<ContextName, Json>>;

/** What the status functions answer where the expression is evaluated. */
export interface Status {
  /** Every earlier step (or every needed job) succeeded. */
  readonly succeeded: boolean;
}

function statusFunctions(status: Status): Map<string, FunctionDefinition> {
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    fn('success', () => status.succeeded),
    fn('failure', () => !status.succeeded),
    fn('always', () => true),
    fn('cancelled', () => false),
  ]);
}

function toData(value: Json): data.ExpressionData {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

function fromData(value: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(value, data.replacer)) as Json;
}

function contextDictionary(contexts: Contexts): data.Dictionary {
  const dictionary = new data.Dictionary();
  for (const name of CONTEXT_NAMES) dictionary.add(name, toData(contexts[name] ?? {}));
  return dictionary;
}

/** Evaluates one expression (without `${{ }}`); a syntax or evaluation error is WORKFLOW_INVALID. */
export function evaluateExpression(
  expression: string,
  contexts: Contexts,
  status: Status,
  where: string,
): Json {
  const functions = statusFunctions(status);
  try {
    const tokens = new Lexer(expression).lex().tokens;
    const tree = new Parser(tokens, [...CONTEXT_NAMES], [...functions.values()]).parse();
    return fromData(new Evaluator(tree, contextDictionary(contexts), functions).evaluate());
  } catch (cause) {
    throw new SathosError(
      'WORKFLOW_INVALID',
      `the expression \${{ ${expression} }} cannot be evaluated (${describeCause(cause)}); correct the workflow`,
      { where, cause },
    );
  }
}

/** The value a workflow token stands for, its expressions evaluated. */
export function evaluateToken(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status: Status,
  where: string,
): Json {
  if (token === undefined) return null;
  if (isBasicExpression(token))
    return evaluateExpression(token.expression, contexts, status, where);
  if (isString(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isSequence(token))
    return [...token].map((item) => evaluateToken(item, contexts, status, where));
  if (isMapping(token)) {
    const out: Record<string, Json> = {};
    for (const pair of token)
      out[pair.key.toString()] = evaluateToken(pair.value, contexts, status, where);
    return out;
  }
  if (isLiteral(token)) return null; // the only literal left is null
  throw new SathosError('WORKFLOW_INVALID', 'a value of an unknown kind; correct the workflow', {
    where,
  });
}

/** GitHub's coercion of a value to the text an input, env var or output holds. */
export function asText(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** GitHub's truthiness for `if:` results. */
export function truthy(value: Json): boolean {
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value !== '';
  return true;
}

/** Evaluates a mapping of name → value to text (env:, with:, outputs:). */
export function evaluateMapping(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status: Status,
  where: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (token === undefined || !isMapping(token)) return out;
  for (const pair of token)
    out[pair.key.toString()] = asText(evaluateToken(pair.value, contexts, status, where));
  return out;
}
