// Continuous verification: before a step adds to a chain, the chain it was handed is verified with
// the caller's trust (every bundle, signer, link and the run) and, under a policy, every record's
// decision re-evaluated — so no step builds on a forged, foreign or denied record.
import { SathosError } from '../errors.js';
import type { ChainLine } from '../attestation/chain/chain.js';
import { decodeRecords } from '../attestation/chain/chain.js';
import type {
  ArtifactInput,
  BundleChecker,
  ChainRequirements,
  ChainVerification,
} from '../attestation/chain/verify-chain.js';
import { verifyChain } from '../attestation/chain/verify-chain.js';
import type { RunBinding } from '../attestation/record/transition.js';
import type { Policy } from '../policy/document/document.js';
import { assertChainPolicy } from '../policy/evaluate/chain.js';

/** Who the caller trusts to have signed what it was handed. */
export interface ChainTrust {
  /** Verifies each bundle: the caller's trusted root and keys. */
  readonly checker: BundleChecker;
  /** Stages in order and who may sign each; without it, the policy's. */
  readonly requirements?: Pick<ChainRequirements, 'stages' | 'identities'>;
}

export interface ChainSoFarInput {
  readonly lines: readonly ChainLine[];
  readonly trust: ChainTrust;
  readonly policy?: Policy;
  /** The run the chain must belong to (the step's own run). */
  readonly run?: RunBinding;
  /** Artifacts the chain so far must have built (a gate's subjects); none by default. */
  readonly artifacts?: readonly ArtifactInput[];
  /**
   * The stage about to be recorded, when the chain must be complete up to it: every required stage
   * before it present, in order (a gate). Otherwise the chain need reach only as far as it does.
   */
  readonly completeBefore?: string;
  readonly source: string;
}

/** Every required stage before `stage`: a gate deciding on `stage` needs them all. */
export function stagesBefore(stages: readonly string[], stage: string): string[] {
  const at = stages.indexOf(stage);
  if (at < 1) {
    throw new SathosError(
      'USAGE',
      `the policy's stages (${stages.join(', ')}) have no stage before "${stage}" to verify`,
    );
  }
  return stages.slice(0, at);
}

/** The required stages up to the last one the chain holds: a chain mid-pipeline is complete so far. */
export function stagesSoFar(stages: readonly string[], held: ReadonlySet<string>): string[] {
  const last = stages.reduce((found, stage, i) => (held.has(stage) ? i : found), -1);
  if (last < 0) {
    throw new SathosError(
      'INCOMPLETE_CHAIN',
      'the chain holds no record of a stage the policy names; check it is this pipeline’s chain',
    );
  }
  return stages.slice(0, last + 1);
}

function requirementsFor(input: ChainSoFarInput): Pick<ChainRequirements, 'stages' | 'identities'> {
  const given = input.trust.requirements ?? input.policy;
  if (given === undefined) {
    throw new SathosError(
      'USAGE',
      'cannot verify the chain so far: say who may sign it (a policy, or stages and identities)',
      { where: input.source },
    );
  }
  return given;
}

function assertSameRun(found: RunBinding, run: RunBinding | undefined, source: string): void {
  if (run === undefined || JSON.stringify(found) === JSON.stringify(run)) return;
  throw new SathosError(
    'RUN_MISMATCH',
    `the chain is of run ${found.repository} ${found.runId}/${found.runAttempt} at ${found.commit}, not this one; start a new chain for this run`,
    { where: source },
  );
}

/**
 * Verifies the chain a step was handed, or throws why it cannot be built on. An empty chain is
 * nothing to verify (undefined): the step is its genesis.
 */
export function verifyChainSoFar(input: ChainSoFarInput): ChainVerification | undefined {
  if (input.lines.length === 0) {
    if (input.completeBefore === undefined) return undefined;
    throw new SathosError(
      'INCOMPLETE_CHAIN',
      `the chain is empty: the ${input.completeBefore} step needs every stage before it recorded`,
      { where: input.source },
    );
  }
  const required = requirementsFor(input);
  const held = new Set(
    decodeRecords(input.lines, input.source).map((r) => r.statement.predicate.stage),
  );
  const verified = verifyChain({
    lines: input.lines,
    checker: input.trust.checker,
    requirements: {
      stages:
        input.completeBefore === undefined
          ? stagesSoFar(required.stages, held)
          : stagesBefore(required.stages, input.completeBefore),
      identities: required.identities,
      requireTerminal: false,
    },
    artifacts: input.artifacts ?? [],
    source: input.source,
  });
  assertSameRun(verified.run, input.run, input.source);
  // A recorded deny (or a decision that no longer holds) ends the chain: nothing may follow it.
  if (input.policy !== undefined) assertChainPolicy(input.policy, verified, input.lines);
  return verified;
}
