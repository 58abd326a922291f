// `stages`: the stages a chain needs, in order; the first is the genesis stage.
import { STAGE_PATTERN } from '../../attestation/record/transition.js';
import type { PolicyProblem } from './problem.js';
import { problem } from './problem.js';
import { POLICY_LIMITS } from './limits.js';

export function stagesProblems(value: unknown): PolicyProblem[] {
  if (!Array.isArray(value) || value.length === 0)
    return [problem(['stages'], 'stages must be a non-empty list')];
  if (value.length > POLICY_LIMITS.maxStages)
    return [problem(['stages'], `stages has more than ${POLICY_LIMITS.maxStages} entries`)];
  const problems = value.flatMap((s, i) =>
    typeof s === 'string' && STAGE_PATTERN.test(s)
      ? []
      : [
          problem(
            ['stages', i],
            `stages[${i}] must be a stage name like "build" (${String(STAGE_PATTERN)})`,
          ),
        ],
  );
  value.forEach((s, i) => {
    if (value.indexOf(s) !== i)
      problems.push(problem(['stages', i], `stages lists a stage twice: ${String(s)}`));
  });
  return problems;
}

/** The declared stages, whatever else is wrong (only well-formed names). */
export function declaredStages(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((s): s is string => typeof s === 'string' && STAGE_PATTERN.test(s))
    : [];
}
