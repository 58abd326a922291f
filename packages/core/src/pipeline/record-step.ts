// The step service: every producer of a chain (the CLI's demo, each action) records its step here.
// It verifies the chain it was handed, decides the step under the policy, lets the step act only
// when allowed, signs the record and its evidence, and appends them together (docs/spec.md §5.2).
import { SathosError } from '../errors.js';
import type { ChainStore } from '../attestation/chain/store.js';
import type { AppendResult, SignFunction } from '../attestation/chain/append.js';
import { appendTransition } from '../attestation/chain/append.js';
import type { ArtifactInput, ChainVerification } from '../attestation/chain/verify-chain.js';
import type { ActorClaims, RunBinding } from '../attestation/record/transition.js';
import { signerFromActor } from '../attestation/record/transition.js';
import type { ResourceDescriptor, Statement } from '../attestation/record/statement.js';
import type { Policy } from '../policy/document/document.js';
import type { Decision } from '../policy/evaluate/decision.js';
import { decisionRef, failureLines } from '../policy/evaluate/decision.js';
import { decideStep } from '../policy/evaluate/decide-step.js';
import type { ChainTrust } from './chain-so-far.js';
import { verifyChainSoFar } from './chain-so-far.js';

/** Who signs the step: its signing function and the identity its record claims. */
export interface StepSigner {
  readonly sign: SignFunction;
  readonly actor: ActorClaims;
}

/** What a step needs from outside: where the chain lives, who signs, whom to trust. */
export interface StepPorts {
  readonly store: ChainStore;
  readonly signer: StepSigner;
  readonly trust: ChainTrust;
}

export interface RecordStepInput {
  readonly stage: string;
  readonly subjects: readonly ResourceDescriptor[];
  readonly run: RunBinding;
  /** The stage's evidence, or a function of the verified chain so far (a gate's summary of it). */
  readonly evidence?:
    readonly Statement[] | ((soFar: ChainVerification | undefined) => readonly Statement[]);
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly terminal?: boolean;
  /** The policy that decides the step; without one the record carries no decision. */
  readonly policy?: Policy;
  /** Artifacts the chain so far must already have built (a gate deciding on them). */
  readonly artifacts?: readonly ArtifactInput[];
  /** The chain so far must hold every required stage before this one (a gate), not just reach its end. */
  readonly complete?: boolean;
  /**
   * The step's action (a deploy's copy), run only once the step is allowed and before it is signed.
   * What it returns is added to the record's observations (a supervised deploy's `anomaly`); the
   * decision was made before it ran, so it cannot widen what was allowed.
   */
  readonly act?: () => Promise<void> | Promise<Readonly<Record<string, unknown>> | undefined>;
}

export interface StepResult {
  readonly decision?: Decision;
  readonly appended: AppendResult;
  /** The chain as verified before this step (undefined: this step is the genesis). */
  readonly soFar?: ChainVerification;
}

/** A step the policy denied: its record (decision deny) is in the chain, and the step failed. */
export class StepDeniedError extends SathosError {
  constructor(
    readonly decision: Decision,
    readonly appended: AppendResult,
  ) {
    super(
      'POLICY_DENIED',
      `the policy denied the ${decision.stage} step: ${failureLines(decision).join('; ')}; the denial is recorded in the chain, which no later step accepts`,
    );
  }
}

function evidenceOf(
  input: RecordStepInput,
  soFar: ChainVerification | undefined,
): readonly Statement[] {
  const { evidence } = input;
  if (evidence === undefined) return [];
  return typeof evidence === 'function' ? evidence(soFar) : evidence;
}

/**
 * Records one step. What was handed fails to verify (or bad input): throws, nothing appended. The
 * policy denies: the step is recorded with its deny decision, then StepDeniedError is thrown.
 */
export async function recordStep(input: RecordStepInput, ports: StepPorts): Promise<StepResult> {
  const { store, signer } = ports;
  const chain = await store.read();
  const soFar = verifyChainSoFar({
    lines: chain,
    trust: ports.trust,
    run: input.run,
    source: store.location,
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.artifacts === undefined ? {} : { artifacts: input.artifacts }),
    ...(input.complete === true ? { completeBefore: input.stage } : {}),
  });
  const evidence = evidenceOf(input, soFar);
  const decision =
    input.policy === undefined
      ? undefined
      : decideStep({
          policy: input.policy,
          chain,
          stage: input.stage,
          run: input.run,
          identity: signerFromActor(signer.actor),
          subjects: input.subjects,
          evidence,
          ...(input.observations === undefined ? {} : { observations: input.observations }),
          source: store.location,
        });
  const allowed = decision === undefined || decision.allowed;
  const acted = allowed && input.act !== undefined ? await input.act() : undefined;
  const observations =
    acted === undefined ? input.observations : { ...acted, ...input.observations };
  const appended = await appendTransition({
    store,
    verified: chain,
    sign: signer.sign,
    stage: input.stage,
    subjects: input.subjects,
    run: input.run,
    actor: signer.actor,
    evidence,
    ...(observations === undefined ? {} : { observations }),
    ...(input.terminal === undefined ? {} : { terminal: input.terminal }),
    ...(decision === undefined ? {} : { policy: decisionRef(decision) }),
  });
  if (decision !== undefined && !decision.allowed) throw new StepDeniedError(decision, appended);
  return {
    appended,
    ...(decision === undefined ? {} : { decision }),
    ...(soFar === undefined ? {} : { soFar }),
  };
}
