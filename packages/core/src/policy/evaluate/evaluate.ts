// Evaluates a policy for one stage: the built-in checks (the stage is declared, the signer may sign
// it, the environment is declared and its required stages are in the chain), then every rule that
// applies. Deny by default: anything undeclared, any error, any timeout is a failed result.
import type { SignerIdentity } from '../../identity/signers/signer-identity.js';
import { describeSigner } from '../../identity/signers/signer-identity.js';
import { isCelList } from '@bufbuild/cel';
import { budget } from '../cel/budget.js';
import type { Budget } from '../cel/budget.js';
import type { CelVariables } from '../cel/values.js';
import { chainRecordStages } from '../cel/values.js';
import type { Decision, RuleResult } from './decision.js';
import { decide } from './decision.js';
import type { Policy } from '../document/document.js';
import { missingEnvironment } from '../document/environments.js';
import { signerMatchesPolicyRule } from '../document/identities.js';
import { EVALUATION_LIMITS } from '../document/limits.js';
import type { PolicyRule } from '../document/rules.js';
import { celPath, gateFailures } from './gate-checks.js';

export interface DecisionRequest {
  readonly stage: string;
  /** Prepared with `celVariables` or `parseEvaluationInput`; `stage` and `environment` are bound over them. */
  readonly variables: CelVariables;
  /** The signer of the step, checked against the policy's identities for the stage when given. */
  readonly identity?: SignerIdentity;
  /** The deploy environment; default: the `environment` variable when it is a string. */
  readonly environment?: string;
  /** The stages in `chain.records`, when the caller knows them (else read from the variables). */
  readonly chainStages?: ReadonlySet<string>;
}

export interface EvaluateOptions {
  /** Milliseconds for the whole decision (default EVALUATION_LIMITS.timeMs). */
  readonly timeMs?: number;
  /** Monotonic milliseconds; default performance.now. */
  readonly clock?: () => number;
}

const fail = (id: string, message: string, error?: string): RuleResult => ({
  id,
  passed: false,
  message,
  ...(error === undefined ? {} : { error }),
});

function builtinFailures(policy: Policy, req: DecisionRequest, environment: string): RuleResult[] {
  const failures: RuleResult[] = [];
  const { stage, identity } = req;
  if (!policy.stages.includes(stage)) {
    failures.push(
      fail(
        'sathos:stage',
        `stage "${stage}" is not declared by the policy (${policy.stages.join(', ')})`,
      ),
    );
  } else if (identity !== undefined) {
    const rules = Object.hasOwn(policy.identities, stage) ? (policy.identities[stage] ?? []) : [];
    if (!rules.some((rule) => signerMatchesPolicyRule(identity, rule)))
      failures.push(
        fail('sathos:identity', `${describeSigner(identity)} may not sign the ${stage} stage`),
      );
  }
  const unnamed = missingEnvironment(policy.environments, stage, environment);
  if (unnamed !== undefined) failures.push(fail('sathos:environment', unnamed));
  if (environment === '') return failures;
  const env = Object.hasOwn(policy.environments, environment)
    ? policy.environments[environment]
    : undefined;
  if (env === undefined) {
    failures.push(
      fail('sathos:environment', `environment "${environment}" is not declared by the policy`),
    );
  } else if (env.requiredStages.length > 0) {
    const seen = req.chainStages ?? chainRecordStages(req.variables);
    // A step needs the required stages that come before its own (the gate's decision is itself one).
    const rank = policy.stages.indexOf(stage);
    const before = env.requiredStages.filter((s) => policy.stages.indexOf(s) < rank);
    const missing = before.filter((s) => seen?.has(s) !== true);
    if (missing.length > 0)
      failures.push(
        fail(
          'sathos:required-stages',
          `a ${stage} for ${environment} needs ${before.join(', ')} in the chain`,
          seen === undefined ? 'no chain.records to check' : `missing ${missing.join(', ')}`,
        ),
      );
  }
  return failures;
}

/** The stage whose record carries the workflow posture (docs/posture.md): the chain's source. */
const POSTURE_STAGE = 'source';

/** Recorded values quoted in a reason: a commit id, a rule id (anything else is not echoed). */
const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const RULE_ID = /^[A-Za-z0-9:._-]{1,128}$/;
const MAX_QUOTED_RULES = 8;
const quoted = (value: unknown, pattern: RegExp): value is string =>
  typeof value === 'string' && pattern.test(value);

/**
 * A policy with a posture: section requires the source record to carry the workflow posture its
 * step decided under this policy, about the run's commit, allowed. Checked when the step decides
 * and again when a verifier re-evaluates the chain, so a source step that skipped the posture, or
 * that the posture denied, never passes (docs/posture.md).
 */
function postureFailures(policy: Policy, req: DecisionRequest): RuleResult[] {
  if (policy.posture === undefined || req.stage !== POSTURE_STAGE) return [];
  const message = "the source record carries the workflows' posture, allowed by the policy";
  const posture = celPath(req.variables.values.evidence, ['workflowPosture']);
  if (posture === undefined)
    return [fail('sathos:posture', message, 'the step recorded no workflow-posture evidence')];
  const commit = celPath(posture, ['commit']);
  const runCommit = celPath(req.variables.values.run, ['commit']);
  if (typeof commit !== 'string' || commit !== runCommit) {
    const judged = quoted(commit, COMMIT_ID) ? commit : 'no commit id';
    const built = quoted(runCommit, COMMIT_ID) ? runCommit : 'unknown';
    return [fail('sathos:posture', message, `it judged ${judged}, not the run's commit ${built}`)];
  }
  if (celPath(posture, ['decision', 'policy', 'digest', 'sha256']) !== policy.digest)
    return [fail('sathos:posture', message, 'it was decided under another policy')];
  if (celPath(posture, ['decision', 'allowed']) === true) return [];
  const failed = celPath(posture, ['decision', 'failed']);
  const ids = isCelList(failed)
    ? [...failed].filter((id) => quoted(id, RULE_ID)).slice(0, MAX_QUOTED_RULES)
    : [];
  return [
    fail('sathos:posture', message, `the posture denied: ${ids.join(', ') || 'no decision'}`),
  ];
}

function applies(rule: PolicyRule, stage: string, environment: string): boolean {
  if (rule.stages !== undefined && !rule.stages.includes(stage)) return false;
  return rule.environments === undefined || rule.environments.includes(environment);
}

function ruleResult(rule: PolicyRule, vars: CelVariables, b: Budget): RuleResult {
  const outcome = rule.compiled.evaluate(vars, b);
  if (outcome.ok && outcome.value) return { id: rule.id, passed: true, message: rule.message };
  return fail(rule.id, rule.message, outcome.ok ? undefined : outcome.error);
}

/** Evaluates every applicable rule and built-in check; never throws for a bad input or rule. */
export function evaluatePolicy(
  policy: Policy,
  req: DecisionRequest,
  options: EvaluateOptions = {},
): Decision {
  const bound = req.variables.values.environment;
  const environment = req.environment ?? (typeof bound === 'string' ? bound : '');
  const values = { ...req.variables.values, stage: req.stage, environment };
  const vars: CelVariables = { names: new Set(Object.keys(values)), values };
  const b = budget(
    options.timeMs ?? EVALUATION_LIMITS.timeMs,
    options.clock ?? (() => performance.now()),
  );
  const results = [
    ...builtinFailures(policy, req, environment),
    ...postureFailures(policy, req),
    ...gateFailures(policy, req.stage, environment, vars),
    ...policy.rules
      .filter((r) => applies(r, req.stage, environment))
      .map((r) => ruleResult(r, vars, b)),
  ];
  return decide(
    { uri: policy.uri, digest: { sha256: policy.digest } },
    req.stage,
    results,
    environment,
  );
}
