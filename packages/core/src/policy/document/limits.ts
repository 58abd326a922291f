// What a policy, an evaluation input and an evaluation may cost at most. Named so a reader knows the
// worst a hostile policy file or input can do, and so docs/policy.md can cite them.
import { PATTERN_CACHE_LIMIT } from '../../pattern.js';

/** Limits on a policy document, checked while loading it. */
export const POLICY_LIMITS = {
  /** Bytes of YAML; a larger file is refused before it is parsed. */
  maxBytes: 1024 * 1024,
  /** YAML alias nodes (`*name`); an alias bomb is refused before it is expanded. */
  maxAliases: 100,
  maxStages: 32,
  maxIdentitiesPerStage: 64,
  /** CEL rules; with the built-in checks they fit in one record's reasons. */
  maxRules: 200,
  /** Characters of one CEL expression. */
  maxExpressionLength: 4096,
  /** Characters of a rule's message. */
  maxMessageLength: 1024,
  maxEnvironments: 64,
  maxAllowedHosts: 1024,
  /** Problems listed in one error; the rest are counted. */
  maxProblems: 100,
} as const;

/** Limits on the variables a policy is evaluated over. */
export const INPUT_LIMITS = {
  /** Bytes of a JSON input file (`sathos policy test --input`). */
  maxBytes: 8 * 1024 * 1024,
  /** Nesting of objects and arrays. */
  maxDepth: 64,
  /** Values (objects, arrays, strings, numbers…) in all variables together. */
  maxNodes: 500_000,
} as const;

/** Limits on one decision. */
export const EVALUATION_LIMITS = {
  /** Milliseconds for all rules of one decision; rules left when it runs out fail. */
  timeMs: 1000,
  /** Compiled regular expressions kept for reuse. */
  maxCachedPatterns: PATTERN_CACHE_LIMIT,
} as const;
