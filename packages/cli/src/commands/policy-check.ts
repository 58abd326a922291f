// `sathos policy check <policy>`: loads the policy and compiles every rule; exit 0, or 2 with every
// problem on its own line as file:line:col.
import type { Policy } from '@sathos/core';
import { PolicyInvalidError, problemLine } from '@sathos/core';
import type { Outcome, Verdict } from '../outcome.js';
import { failure, success } from '../outcome.js';
import type { PolicyLoadContext, PolicyLoadOptions } from './policy-load.js';
import { loadPolicy } from './policy-load.js';

/** The variables SATHOS steps provide (docs/policy.md); a rule reading another needs it in its input. */
export const STANDARD_VARIABLES: ReadonlySet<string> = new Set([
  'stage',
  'run',
  'chain',
  'records',
  'identities',
  'identity',
  'subjects',
  'evidence',
  'observations',
  'environment',
  'changes',
]);

/** Rules that read variables no SATHOS step provides: legal, but only a policy test input binds them. */
export function variableWarnings(policy: Policy): string[] {
  return policy.rules.flatMap((rule) =>
    [...rule.compiled.variables]
      .filter((v) => !STANDARD_VARIABLES.has(v))
      .map(
        (v) =>
          `rule "${rule.id}" reads "${v}", which SATHOS steps do not provide; it fails unless the input binds it`,
      ),
  );
}

/** An unusable policy: every problem located, on its own line. */
export function invalidPolicyOutcome(
  error: PolicyInvalidError,
  verdict: Verdict = 'allowed',
): Outcome {
  const base = failure(verdict, error, {
    problems: error.problems.map((p) => ({
      ...(p.line === undefined ? {} : { line: p.line, col: p.col }),
      path: p.path,
      message: p.message,
    })),
  });
  return {
    ...base,
    lines: error.problems.map((p) => `error: ${problemLine(error.where ?? '', p)}`),
  };
}

export async function policyCheckCommand(
  reference: string,
  options: PolicyLoadOptions = {},
  context: PolicyLoadContext = {},
): Promise<Outcome> {
  try {
    const policy = await loadPolicy(reference, options, context);
    const warnings = variableWarnings(policy);
    const reason = `policy ${policy.uri} is valid: ${policy.stages.length} stages, ${policy.rules.length} rules, ${Object.keys(policy.environments).length} environments`;
    return success(
      'allowed',
      reason,
      {
        valid: true,
        policy: { uri: policy.uri, digest: { sha256: policy.digest } },
        stages: policy.stages,
        rules: policy.rules.map((r) => r.id),
        environments: Object.keys(policy.environments),
        warnings,
      },
      [reason, `sha256:${policy.digest}`, ...warnings.map((w) => `warning: ${w}`)],
    );
  } catch (error) {
    if (error instanceof PolicyInvalidError) return invalidPolicyOutcome(error);
    return failure('allowed', error);
  }
}
