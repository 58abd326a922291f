// The posture decision: the policy's `posture:` section over the model at the verified commit. The
// findings it names deny, a lock it requires must match, and every CEL rule must hold. Deny by
// default: a rule that errors or times out fails, and a policy without a posture section is
// refused rather than read as "anything goes".
import { budget } from '../policy/cel/budget.js';
import { celVariables } from '../policy/cel/values.js';
import type { Decision, RuleResult } from '../policy/evaluate/decision.js';
import { decide } from '../policy/evaluate/decision.js';
import type { Policy } from '../policy/document/document.js';
import { EVALUATION_LIMITS } from '../policy/document/limits.js';
import type { PostureFinding } from './findings.js';
import type { LockComparison } from './lock.js';
import { lockDifferences } from './lock.js';
import type { PostureModel } from './model.js';
import { workflowInput } from './workflow-input.js';

/** The stage a posture decision is made for: before anything of the pipeline runs. */
export const POSTURE_STAGE = 'source';

export interface PostureRequest {
  readonly model: PostureModel;
  readonly findings: readonly PostureFinding[];
  /** The comparison with the lock read at the commit; absent when there is no lock. */
  readonly lock?: LockComparison;
}

export interface PostureEvaluateOptions {
  readonly timeMs?: number;
  readonly clock?: () => number;
}

const fail = (id: string, message: string, error?: string): RuleResult => ({
  id,
  passed: false,
  message,
  ...(error === undefined ? {} : { error }),
});

function lockResult(policy: Policy, lock: LockComparison | undefined): RuleResult[] {
  const mode = policy.posture?.lock ?? 'off';
  if (mode === 'off') return [];
  const message = `the actions the workflows run must match the lock (${policy.posture?.lockFile ?? ''})`;
  if (lock === undefined)
    return mode === 'required'
      ? [
          fail(
            'sathos:posture-lock',
            message,
            'there is no lock at the commit; write one with sathos posture --lock',
          ),
        ]
      : [];
  if (lock.matches) return [{ id: 'sathos:posture-lock', passed: true, message }];
  return [fail('sathos:posture-lock', message, lockDifferences(lock).slice(0, 8).join('; '))];
}

function findingResults(policy: Policy, findings: readonly PostureFinding[]): RuleResult[] {
  return (policy.posture?.deny ?? []).map((rule) => {
    const hits = findings.filter((f) => f.rule === rule);
    const message = `no ${rule} finding (docs/posture.md)`;
    if (hits.length === 0) return { id: `posture:${rule}`, passed: true, message };
    const where = hits.slice(0, 5).map((f) => `${f.file}:${f.line} (${f.job})`);
    return fail(
      `posture:${rule}`,
      message,
      `${hits.length} found: ${where.join(', ')}${hits.length > 5 ? ', …' : ''}`,
    );
  });
}

/** Decides the posture; never throws for a bad model or rule. */
export function evaluatePosture(
  policy: Policy,
  req: PostureRequest,
  options: PostureEvaluateOptions = {},
): Decision {
  const ref = { uri: policy.uri, digest: { sha256: policy.digest } };
  if (policy.posture === undefined)
    return decide(ref, POSTURE_STAGE, [
      fail('sathos:posture', 'the policy must have a posture: section to decide a posture'),
    ]);
  const results: RuleResult[] = [
    ...lockResult(policy, req.lock),
    ...findingResults(policy, req.findings),
  ];
  const rules = policy.posture.rules;
  if (rules.length > 0) {
    const b = budget(
      options.timeMs ?? EVALUATION_LIMITS.timeMs,
      options.clock ?? (() => performance.now()),
    );
    try {
      const lock = req.lock === undefined ? undefined : { ...req.lock, present: true };
      const vars = celVariables(
        { workflow: workflowInput(req.model, req.findings, lock) },
        'workflow',
      );
      for (const rule of rules) {
        const outcome = rule.compiled.evaluate(vars, b);
        results.push(
          outcome.ok && outcome.value
            ? { id: rule.id, passed: true, message: rule.message }
            : fail(rule.id, rule.message, outcome.ok ? undefined : outcome.error),
        );
      }
    } catch (error) {
      results.push(
        fail('sathos:posture-input', 'the workflow model must be a valid CEL input', String(error)),
      );
    }
  }
  return decide(ref, POSTURE_STAGE, results);
}
