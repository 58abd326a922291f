// Regular expressions for CEL's matches(): RE2 semantics (linear time, no backtracking, so a pattern
// like ^(a+)+$ cannot stall a decision), each pattern compiled once and kept.
import { RE2JS } from '@bufbuild/re2';
import { EVALUATION_LIMITS } from './policy-limits.js';

interface Matcher {
  test(text: string): boolean;
}

const cache = new Map<string, Matcher>();

/** Compiles (or reuses) an RE2 pattern; throws on a pattern RE2 does not accept. */
export function compilePattern(pattern: string): Matcher {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  const compiled = RE2JS.compile(pattern);
  if (cache.size >= EVALUATION_LIMITS.maxCachedPatterns) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** The problem with a pattern, or undefined when RE2 accepts it. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
  }
}

/** The engine handed to @bufbuild/cel. */
export const cachedRe2 = { compile: compilePattern };
