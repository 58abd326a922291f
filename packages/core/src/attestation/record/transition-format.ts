// The transition record's format constants (docs/spec.md): its predicate type, the stage names and
// the limits a record must keep. Kept apart so the record's checks and its builder share them.

/** Owned by SATHOS; versioned in the path. Spec: docs/spec.md. */
export const TRANSITION_PREDICATE_TYPE = 'https://sathos.dev/attestation/transition/v1';

export const BUILTIN_STAGES = ['source', 'build', 'test', 'scan', 'decision', 'deploy'] as const;
export type BuiltinStage = (typeof BUILTIN_STAGES)[number];

/** Stage names: the built-ins or a policy-declared custom stage (lowercase, digits, dashes). */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** Upper bounds that keep a hostile record from costing more than it is worth. */
export const RECORD_LIMITS = {
  maxPrevious: 64,
  maxSubjects: 1024,
  maxEvidence: 64,
  maxReasons: 256,
  maxSequence: 1_000_000,
} as const;
