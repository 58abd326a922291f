// Step 8 of chain verification (docs/spec.md §5): the policy's rules evaluated again for every record,
// over what the record's step knew before it acted (the records it follows, its own signer,
// subjects, evidence and observations). A record whose step did not record an allow decision, or
// whose decision does not hold under the policy, rejects the chain.
import type { ChainLine } from '../attestation/chain.js';
import type { PolicyDecisionRef } from '../attestation/record.js';
import type { ChainVerification } from '../attestation/verify-chain.js';
import { SathosError } from '../errors.js';
import type { CelVariable } from './cel-values.js';
import { celValue, celVariables } from './cel-values.js';
import type { Decision, RuleResult } from './decision.js';
import { failureLines } from './decision.js';
import type { EvaluateOptions } from './evaluate.js';
import { evaluatePolicy } from './evaluate.js';
import type { RecordView } from './evaluation-input.js';
import { recordJson, stepVariables } from './evaluation-input.js';
import type { Policy } from './policy-document.js';
import { ancestorsOf, verifiedViews } from './record-views.js';

export interface RecordDecision {
  readonly digest: string;
  readonly where: string;
  readonly stage: string;
  /** What the step recorded, when it did. */
  readonly recorded?: PolicyDecisionRef;
  readonly decision: Decision;
}

export interface ChainPolicyEvaluation {
  readonly allowed: boolean;
  readonly policy: { readonly uri: string; readonly digest: { readonly sha256: string } };
  readonly decisions: readonly RecordDecision[];
}

/** A chain the policy denies: which record and which rules. */
export class PolicyDeniedError extends SathosError {
  constructor(
    readonly evaluation: ChainPolicyEvaluation,
    denied: RecordDecision,
  ) {
    const failed = failureLines(denied.decision);
    super('POLICY_DENIED', `policy: the ${denied.stage} record is denied: ${failed.join('; ')}`, {
      where: denied.where,
    });
  }
}

function recordedCheck(recorded: PolicyDecisionRef | undefined): RuleResult[] {
  if (recorded === undefined)
    return [
      {
        id: 'sathos:recorded',
        passed: false,
        message: 'every record carries the policy decision its step evaluated',
        error: 'the record has none',
      },
    ];
  if (recorded.decision !== 'allow')
    return [
      {
        id: 'sathos:recorded',
        passed: false,
        message: 'a step acts only after an allow decision',
        error: `the step recorded deny under ${recorded.uri}`,
      },
    ];
  return [];
}

/** Re-evaluates the policy for every verified record; never throws for a failing rule. */
export function evaluateChainPolicy(
  policy: Policy,
  verification: ChainVerification,
  lines: readonly ChainLine[],
  options: EvaluateOptions = {},
): ChainPolicyEvaluation {
  const views = verifiedViews(verification, lines);
  const prepared = new Map<RecordView, CelVariable>();
  const recordValue = (view: RecordView): CelVariable => {
    let value = prepared.get(view);
    if (value === undefined) {
      value = celValue(recordJson(view), view.digest);
      prepared.set(view, value);
    }
    return value;
  };
  const decisions = views.map((view, i): RecordDecision => {
    const record = verification.records[i];
    const p = view.statement.predicate;
    const environment =
      typeof p.observations?.environment === 'string' ? p.observations.environment : '';
    const variables = celVariables(
      stepVariables(
        {
          stage: p.stage,
          run: p.run,
          previous: ancestorsOf(view, views),
          identity: view.signer,
          subjects: view.statement.subject,
          evidence: view.evidence,
          observations: p.observations ?? {},
          environment,
          ...(p.observations?.changes === undefined ? {} : { changes: p.observations.changes }),
        },
        recordValue,
      ),
      record?.where ?? view.digest,
    );
    const evaluated = evaluatePolicy(
      policy,
      { stage: p.stage, variables, identity: view.signer, environment },
      options,
    );
    const extra = recordedCheck(p.policy);
    const decision: Decision =
      extra.length === 0
        ? evaluated
        : { ...evaluated, allowed: false, results: [...extra, ...evaluated.results] };
    return {
      digest: view.digest,
      where: record?.where ?? view.digest,
      stage: p.stage,
      ...(p.policy === undefined ? {} : { recorded: p.policy }),
      decision,
    };
  });
  return {
    allowed: decisions.every((d) => d.decision.allowed),
    policy: { uri: policy.uri, digest: { sha256: policy.digest } },
    decisions,
  };
}

/** As evaluateChainPolicy, but a denied record throws PolicyDeniedError (POLICY_DENIED, exit 1). */
export function assertChainPolicy(
  policy: Policy,
  verification: ChainVerification,
  lines: readonly ChainLine[],
  options: EvaluateOptions = {},
): ChainPolicyEvaluation {
  const evaluation = evaluateChainPolicy(policy, verification, lines, options);
  const denied = evaluation.decisions.find((d) => !d.decision.allowed);
  if (denied !== undefined) throw new PolicyDeniedError(evaluation, denied);
  return evaluation;
}
