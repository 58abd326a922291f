// Step 8 of chain verification (docs/spec.md §5): the policy's rules evaluated again for every record,
// over what the record's step knew before it acted (the records it follows, its own signer,
// subjects, evidence and observations). A record whose step did not record an allow decision, or
// whose decision does not hold under the policy, rejects the chain.
import type { ChainLine } from '../../attestation/chain/chain.js';
import type { PolicyDecisionRef } from '../../attestation/record/transition.js';
import type { ChainVerification } from '../../attestation/chain/verify-chain.js';
import { SathosError } from '../../errors.js';
import type { CelVariable } from '../cel/values.js';
import { celValue, celVariables } from '../cel/values.js';
import type { Ancestry } from './chain-view.js';
import { ancestryIndex, ancestryList } from './chain-view.js';
import type { Decision, RuleResult } from './decision.js';
import { failureLines } from './decision.js';
import type { EvaluateOptions } from './evaluate.js';
import { evaluatePolicy } from './evaluate.js';
import type { RecordView } from './input.js';
import { identityJson, recordJson, variablesOver } from './input.js';
import type { Policy } from '../document/document.js';
import { EVALUATION_LIMITS } from '../document/limits.js';
import { verifiedViews } from './record-views.js';

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

/**
 * The time all of a chain's decisions share: one budget for the chain, proportional to its size
 * and capped, instead of a fresh second per record (a 100,000-record chain of slow rules would
 * otherwise run for a day). Decisions past the budget fail the rules they had left.
 */
export const CHAIN_EVALUATION_LIMITS = {
  baseMs: EVALUATION_LIMITS.timeMs,
  perRecordMs: 5,
  maxMs: 60_000,
} as const;

export function chainBudgetMs(records: number): number {
  const { baseMs, perRecordMs, maxMs } = CHAIN_EVALUATION_LIMITS;
  return Math.min(maxMs, baseMs + perRecordMs * records);
}

/** The chain's shared, prepared values: built once, read by every record's decision. */
interface PreparedChain {
  readonly records: readonly CelVariable[];
  readonly identities: readonly CelVariable[];
  readonly ancestry: readonly Ancestry[];
  /** The stages among each record's ancestors, for environments' required stages. */
  readonly stages: readonly ReadonlySet<string>[];
}

/** Each record's ancestor stages, from its predecessors' (a few stages each, not the whole chain). */
function ancestorStages(views: readonly RecordView[]): Set<string>[] {
  const byDigest = new Map<string, { readonly stage: string; readonly before: Set<string> }>();
  return views.map((view) => {
    const seen = new Set<string>();
    for (const link of view.statement.predicate.previous) {
      const prev = byDigest.get(link.digest.sha256);
      if (prev === undefined) continue;
      for (const s of prev.before) seen.add(s);
      seen.add(prev.stage);
    }
    byDigest.set(view.digest, { stage: view.statement.predicate.stage, before: seen });
    return seen;
  });
}

function prepareChain(views: readonly RecordView[]): PreparedChain {
  return {
    records: views.map((v) => celValue(recordJson(v), v.digest)),
    identities: views.map((v) =>
      celValue(identityJson(v.statement.predicate.stage, v.signer), v.digest),
    ),
    ancestry: ancestryIndex(views),
    stages: ancestorStages(views),
  };
}

/** One record's decision over what its step knew: its ancestors (views into the prepared chain). */
function decideRecord(
  policy: Policy,
  view: RecordView,
  index: number,
  where: string,
  chain: PreparedChain,
  options: EvaluateOptions,
): RecordDecision {
  const p = view.statement.predicate;
  const environment =
    typeof p.observations?.environment === 'string' ? p.observations.environment : '';
  const ancestry = chain.ancestry[index] ?? { prefix: 0, extra: { items: [] }, length: 0 };
  const variables = celVariables(
    variablesOver(
      {
        stage: p.stage,
        run: p.run,
        identity: view.signer,
        subjects: view.statement.subject,
        evidence: view.evidence,
        observations: p.observations ?? {},
        environment,
        ...(p.observations?.changes === undefined ? {} : { changes: p.observations.changes }),
      },
      ancestryList(chain.records, ancestry),
      ancestryList(chain.identities, ancestry, chain.identities[index]),
    ),
    where,
  );
  const evaluated = evaluatePolicy(
    policy,
    {
      stage: p.stage,
      variables,
      identity: view.signer,
      environment,
      ...(chain.stages[index] === undefined ? {} : { chainStages: chain.stages[index] }),
    },
    options,
  );
  const extra = recordedCheck(p.policy);
  const decision: Decision =
    extra.length === 0
      ? evaluated
      : { ...evaluated, allowed: false, results: [...extra, ...evaluated.results] };
  return {
    digest: view.digest,
    where,
    stage: p.stage,
    ...(p.policy === undefined ? {} : { recorded: p.policy }),
    decision,
  };
}

/**
 * Re-evaluates the policy for every verified record; never throws for a failing rule. Linear in
 * the chain: its values are prepared once and each record reads its ancestry as a view of them.
 * `options.timeMs` is the whole chain's budget (default `chainBudgetMs(records)`).
 */
export function evaluateChainPolicy(
  policy: Policy,
  verification: ChainVerification,
  lines: readonly ChainLine[],
  options: EvaluateOptions = {},
): ChainPolicyEvaluation {
  const views = verifiedViews(verification, lines);
  const chain = prepareChain(views);
  const clock = options.clock ?? (() => performance.now());
  const deadline = clock() + (options.timeMs ?? chainBudgetMs(views.length));
  const decisions = views.map((view, i): RecordDecision => {
    const where = verification.records[i]?.where ?? view.digest;
    const timeMs = Math.max(0, deadline - clock());
    return decideRecord(policy, view, i, where, chain, { clock, timeMs });
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
