// Regular expressions from policies and flags run with RE2 semantics: linear time, no backtracking,
// so a hostile pattern like ^(a+)+$ cannot stall a verification. Each pattern is compiled once.
import { RE2JS } from '@bufbuild/re2';

/** Compiled patterns kept at most; the oldest is dropped past this. */
export const PATTERN_CACHE_LIMIT = 1024;

export interface Matcher {
  test(text: string): boolean;
}

const cache = new Map<string, Matcher>();

/** Compiles (or reuses) an RE2 pattern; throws on a pattern RE2 does not accept. */
export function compilePattern(pattern: string): Matcher {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  const compiled = RE2JS.compile(pattern);
  if (cache.size >= PATTERN_CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** The pattern as `matchesWhole` runs it: the whole value, never a part. */
const anchored = (pattern: string): string => `^(?:${pattern})$`;

/** The problem with a pattern, or undefined when RE2 accepts it. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
  }
}

/**
 * The problem with a pattern `matchesWhole` will run, or undefined: it must parse alone and
 * anchored (`\Q` without `\E` quotes to the end, so alone it parses and anchored it does not).
 */
export function wholePatternProblem(pattern: string): string | undefined {
  return patternProblem(pattern) ?? patternProblem(anchored(pattern));
}

/** True when the pattern matches the whole value (identity patterns never match a part). */
export function matchesWhole(pattern: string, value: string): boolean {
  return compilePattern(anchored(pattern)).test(value);
}
