// The decision a SATHOS step evaluates before it acts: the policy over the chain so far and what
// the step is about to record. Its `decisionRef` goes into the step's transition record, and the
// chain verifier rebuilds the same input from that record (evaluate-chain.ts).
import type { ChainLine } from '../../attestation/chain/chain.js';
import { decodeRecords } from '../../attestation/chain/chain.js';
import type { RunBinding } from '../../attestation/record/transition.js';
import type { ResourceDescriptor, Statement } from '../../attestation/record/statement.js';
import type { SignerIdentity } from '../../identity/signers/signer-identity.js';
import { celVariables } from '../cel/values.js';
import type { Decision } from './decision.js';
import type { EvaluateOptions } from './evaluate.js';
import { evaluatePolicy } from './evaluate.js';
import { stepVariables } from './input.js';
import type { Policy } from '../document/document.js';
import { plannedViews } from './record-views.js';

export interface StepDecisionInput {
  readonly policy: Policy;
  /** The chain so far (every record and evidence bundle), as a chain store reads it. */
  readonly chain: readonly ChainLine[];
  readonly stage: string;
  readonly run: RunBinding;
  /** Who will sign the step's record. */
  readonly identity: SignerIdentity;
  readonly subjects: readonly ResourceDescriptor[];
  /** The evidence the step will attach. */
  readonly evidence?: readonly Statement[];
  /** The observations the step will record; `environment` and `changes` there are what a verifier reads. */
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly source?: string;
}

/** Decides a step before it acts; a chain that cannot be read throws (and so denies). */
export function decideStep(input: StepDecisionInput, options: EvaluateOptions = {}): Decision {
  const records = decodeRecords(input.chain, input.source);
  const observations = input.observations ?? {};
  const environment = typeof observations.environment === 'string' ? observations.environment : '';
  const variables = celVariables(
    stepVariables({
      stage: input.stage,
      run: input.run,
      previous: plannedViews(records, input.chain),
      identity: input.identity,
      subjects: input.subjects,
      evidence: input.evidence ?? [],
      observations,
      environment,
      ...(observations.changes === undefined ? {} : { changes: observations.changes }),
    }),
    input.source,
  );
  return evaluatePolicy(
    input.policy,
    { stage: input.stage, variables, identity: input.identity, environment },
    options,
  );
}
