// A decision: whether a stage may act, under which policy, and the outcome of every rule — the
// object `sathos policy test --json` prints and, condensed, what every transition record carries.
import type { PolicyDecisionRef } from '../../attestation/record/transition.js';
import { RECORD_LIMITS } from '../../attestation/record/transition.js';

export interface RuleResult {
  /** The rule's id, or `sathos:<check>` for a built-in check (stage, identity, environment…). */
  readonly id: string;
  readonly passed: boolean;
  /** The rule's message: what it requires. */
  readonly message: string;
  /** Why a failed rule could not be evaluated (a missing field, a time limit…). */
  readonly error?: string;
}

export interface PolicyRef {
  readonly uri: string;
  readonly digest: { readonly sha256: string };
}

export interface Decision {
  readonly allowed: boolean;
  readonly stage: string;
  /** The deploy environment decided about, when there is one. */
  readonly environment?: string;
  readonly policy: PolicyRef;
  /** Every applicable rule's outcome, failed built-in checks first. */
  readonly results: readonly RuleResult[];
}

/** A decision from the results: allowed only when there is no failure. */
export function decide(
  policy: PolicyRef,
  stage: string,
  results: readonly RuleResult[],
  environment?: string,
): Decision {
  return {
    allowed: results.every((r) => r.passed),
    stage,
    ...(environment === undefined || environment === '' ? {} : { environment }),
    policy,
    results,
  };
}

/** The decision when no policy could be read: denied, saying why (deny by default). */
export function unavailableDecision(uri: string, stage: string, reason: string): Decision {
  return decide({ uri, digest: { sha256: '0'.repeat(64) } }, stage, [
    { id: 'sathos:policy', passed: false, message: 'a readable policy is required', error: reason },
  ]);
}

export function resultLine(r: RuleResult): string {
  if (r.passed) return `pass ${r.id}`;
  return `fail ${r.id}: ${r.message}${r.error === undefined ? '' : ` (${r.error})`}`;
}

/** The failed results, one line each, for messages. */
export function failureLines(decision: Decision): string[] {
  return decision.results.filter((r) => !r.passed).map(resultLine);
}

/** The decision as a transition record carries it (record.ts PolicyDecisionRef). */
export function decisionRef(decision: Decision): PolicyDecisionRef {
  const lines = decision.results.map(resultLine);
  const reasons =
    lines.length <= RECORD_LIMITS.maxReasons
      ? lines
      : [
          ...lines.slice(0, RECORD_LIMITS.maxReasons - 1),
          `and ${lines.length - RECORD_LIMITS.maxReasons + 1} more`,
        ];
  return {
    uri: decision.policy.uri,
    digest: decision.policy.digest,
    decision: decision.allowed ? 'allow' : 'deny',
    reasons,
  };
}
