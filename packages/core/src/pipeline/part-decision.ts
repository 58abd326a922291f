// The decision of each record of a step split into parts: the same input decideStep builds (the
// records before it, the step's signer, the part's subjects and evidence), with each earlier
// record's policy value prepared once and shared — a step of 98 parts after a chain of hundreds
// of records would otherwise convert the whole chain again for every part.
import type { ActorClaims, RunBinding } from '../attestation/record/transition.js';
import { signerFromActor } from '../attestation/record/transition.js';
import type { ResourceDescriptor, Statement } from '../attestation/record/statement.js';
import type { SignerIdentity } from '../identity/signers/signer-identity.js';
import type { CelVariable } from '../policy/cel/values.js';
import { celValue, celVariables } from '../policy/cel/values.js';
import type { Policy } from '../policy/document/document.js';
import type { Decision } from '../policy/evaluate/decision.js';
import { evaluatePolicy } from '../policy/evaluate/evaluate.js';
import type { RecordView } from '../policy/evaluate/input.js';
import { recordJson, stepVariables } from '../policy/evaluate/input.js';

export interface PartInput {
  readonly stage: string;
  /** The records before this part: the chain so far and the step's earlier parts. */
  readonly previous: readonly RecordView[];
  readonly part: readonly ResourceDescriptor[];
  readonly evidence: readonly Statement[];
  readonly observations: Readonly<Record<string, unknown>> | undefined;
  readonly where: string;
}

export class PartDecider {
  private readonly prepared = new Map<string, CelVariable>();
  private readonly identity: SignerIdentity;

  constructor(
    private readonly policy: Policy,
    private readonly run: RunBinding,
    actor: ActorClaims,
  ) {
    this.identity = signerFromActor(actor);
  }

  private value(view: RecordView): CelVariable {
    let value = this.prepared.get(view.digest);
    if (value === undefined) {
      value = celValue(recordJson(view), view.digest);
      this.prepared.set(view.digest, value);
    }
    return value;
  }

  decide(input: PartInput): Decision {
    const observations = input.observations ?? {};
    const environment =
      typeof observations.environment === 'string' ? observations.environment : '';
    const variables = celVariables(
      stepVariables(
        {
          stage: input.stage,
          run: this.run,
          previous: input.previous,
          identity: this.identity,
          subjects: input.part,
          evidence: input.evidence,
          observations,
          environment,
          ...(observations.changes === undefined ? {} : { changes: observations.changes }),
        },
        (view) => this.value(view),
      ),
      input.where,
    );
    return evaluatePolicy(this.policy, {
      stage: input.stage,
      variables,
      identity: this.identity,
      environment,
    });
  }
}
