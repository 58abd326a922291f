// Small readers over the token tree @actions/workflow-parser builds (already validated against
// GitHub's workflow or action schema): positions, literal text and the context reads of every
// `${{ }}` a value holds, each at its own line.
import type { ContextRead } from '@sathos/core';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import {
  isBasicExpression,
  isLiteral,
  isMapping,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import { expressionReads } from './expressions.js';

export interface At {
  readonly line: number;
  readonly col: number;
}

export const at = (t: TemplateToken | undefined): At => ({
  line: t?.range?.start.line ?? 1,
  col: t?.range?.start.column ?? 1,
});

/** The value under `key` of a mapping token (keys compared as GitHub does, case-sensitively). */
export function field(t: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return t !== undefined && isMapping(t) ? t.find(key) : undefined;
}

/** The key token of `key` in a mapping token: where a field is written. */
export function fieldKey(t: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return entries(t).find(([name]) => name === key)?.[2];
}

/** Key/value pairs of a mapping token; none for anything else. */
export function entries(t: TemplateToken | undefined): [string, TemplateToken, TemplateToken][] {
  if (t === undefined || !isMapping(t)) return [];
  const out: [string, TemplateToken, TemplateToken][] = [];
  for (const pair of t) out.push([pair.key.toString(), pair.value, pair.key]);
  return out;
}

export function items(t: TemplateToken | undefined): TemplateToken[] {
  return t !== undefined && isSequence(t) ? [...t] : [];
}

/** The text a scalar holds: the literal, or an expression's source as written. */
export function text(t: TemplateToken | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (isString(t)) return t.value;
  if (isBasicExpression(t)) return t.source ?? `\${{ ${t.expression} }}`;
  if (isLiteral(t)) return t.toString();
  return undefined;
}

/** The separate `${{ }}` of an expression token: a string with several is one format() call. */
function expressionParts(t: BasicExpressionToken): BasicExpressionToken[] {
  return t.originalExpressions !== undefined && t.originalExpressions.length > 0
    ? t.originalExpressions
    : [t];
}

/**
 * Every context read of every expression under `t`, each at its own position; `valuedOnly`
 * keeps only reads whose value can land in the result (what a script would splice in).
 */
export function contextReads(t: TemplateToken | undefined, valuedOnly: boolean): ContextRead[] {
  if (t === undefined) return [];
  const out: ContextRead[] = [];
  const visit = (token: TemplateToken): void => {
    if (isBasicExpression(token)) {
      for (const part of expressionParts(token)) {
        const pos = at(part);
        for (const read of expressionReads(part.expression))
          if (read.valued || !valuedOnly) out.push({ path: read.path, ...pos });
      }
    } else if (isMapping(token)) {
      for (const pair of token) {
        visit(pair.key);
        visit(pair.value);
      }
    } else if (isSequence(token)) for (const item of token) visit(item);
  };
  visit(t);
  return out;
}
