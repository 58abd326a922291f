// Regular expressions for CEL's matches(): the shared RE2 patterns (../pattern.ts), cached.
import { compilePattern } from '../../pattern.js';

export { compilePattern, patternProblem } from '../../pattern.js';

/** The engine handed to @bufbuild/cel. */
export const cachedRe2 = { compile: compilePattern };
