// The deploy gate (docs/gate.md): verifies the COMPLETE chain for the artifacts (every stage before
// the decision present, in order, unbroken, one run, the artifacts bound), decides the deploy to one
// environment under the policy (its rules, change windows, approvals, anomaly findings), and signs
// the decision as a SLSA verification summary chained as the `decision` record. Then, only after an
// allow, the deploy acts and its terminal record is appended. Every path that does not allow
// throws: nothing downstream (a token, a deploy) happens unless gateDeploy returned.
import { SathosError } from '../errors.js';
import type { ChainLine } from '../attestation/chain/chain.js';
import { decodeRecords } from '../attestation/chain/chain.js';
import type { ChainStore } from '../attestation/chain/store.js';
import type { ArtifactInput, ChainVerification } from '../attestation/chain/verify-chain.js';
import type { ResourceDescriptor, Statement } from '../attestation/record/statement.js';
import type { RunBinding } from '../attestation/record/transition.js';
import { signerFromActor } from '../attestation/record/transition.js';
import { verificationSummary } from '../attestation/evidence/predicates.js';
import type { Policy } from '../policy/document/document.js';
import { environmentLevel } from '../policy/document/environments.js';
import type { Decision } from '../policy/evaluate/decision.js';
import { decideStep } from '../policy/evaluate/decide-step.js';
import { GATE_STAGE } from '../policy/evaluate/gate-checks.js';
import type { StepPorts, StepResult } from './record-step.js';
import { recordStep } from './record-step.js';
import { summaryDigest } from './verify-chain-policy.js';

export { GATE_STAGE };
export const DEPLOY_STAGE_NAME = 'deploy';

/** One approval the edge found (GitHub environment reviewers or pull-request reviews). */
export interface Approval {
  /** The approver's login. */
  readonly by: string;
  /** Where it was found: `environment-reviewers`, `pull-request-reviews`, or the edge's own name. */
  readonly source: string;
  /** When it was given (RFC 3339), when known. */
  readonly at?: string;
}

export interface GateInput {
  readonly environment: string;
  readonly policy: Policy;
  /** The artifacts to deploy: each must be what the chain built. */
  readonly artifacts: readonly ArtifactInput[];
  /** The run deploying; default the chain's own (a chain of another run is refused when given). */
  readonly run?: RunBinding;
  /** Approvals found by the edge; recorded in the decision, counted per the policy. */
  readonly approvals?: readonly Approval[];
  /** The gate's URI, named in the summary as its verifier. */
  readonly verifierId: string;
}

export interface GatePorts extends StepPorts {
  /** The time the decision is made at: recorded, and read by the change windows. */
  readonly clock: () => Date;
}

export interface GateResult {
  readonly decision: Decision;
  readonly step: StepResult;
  /** The signed summary's statement (the decision's evidence). */
  readonly summary: Statement;
  /** The records the decision relied on, as verified. */
  readonly relied: ChainVerification;
  /** What the decision record observed: the environment, the time, the approvals. */
  readonly observations: Readonly<Record<string, unknown>>;
}

/** A store that serves the lines already read, so the gate decides on exactly what it verified. */
function pinned(store: ChainStore, lines: readonly ChainLine[]): ChainStore {
  return {
    location: store.location,
    read: () => Promise.resolve([...lines]),
    append: (bundle) => store.append(bundle),
    appendAll: (bundles) => store.appendAll(bundles),
  };
}

/** The run the chain was recorded under (every record shares it; verification checks that). */
export function runOfChain(lines: readonly ChainLine[], source: string): RunBinding {
  const first = decodeRecords(lines, source)[0];
  if (first === undefined) {
    throw new SathosError(
      'INCOMPLETE_CHAIN',
      'the chain holds no transition record: nothing was recorded to deploy',
      { where: source },
    );
  }
  return first.statement.predicate.run;
}

/** A chain is decided once: a decision (or anything after it) already there ends the gate's work. */
function assertUndecided(lines: readonly ChainLine[], source: string): void {
  const decided = decodeRecords(lines, source).find((r) =>
    [GATE_STAGE, DEPLOY_STAGE_NAME].includes(r.statement.predicate.stage),
  );
  if (decided === undefined) return;
  throw new SathosError(
    'STAGE_ORDER',
    `the chain already holds a ${decided.statement.predicate.stage} record: a run's chain is decided once; start a new run to decide again`,
    { where: source },
  );
}

/** The artifacts as subjects of the decision and deploy records: by SHA-256 where known. */
export function artifactSubjects(artifacts: readonly ArtifactInput[]): ResourceDescriptor[] {
  if (artifacts.length === 0)
    throw new SathosError('USAGE', 'the gate needs the artifacts to deploy (at least one)');
  return artifacts.map((a) => ({ name: a.name, digest: summaryDigest(a.digests) }));
}

function summaryOf(
  input: GateInput,
  subjects: readonly ResourceDescriptor[],
  verified: ChainVerification,
  time: Date,
  passed: boolean,
): Statement {
  return verificationSummary(subjects, {
    verifierId: input.verifierId,
    time,
    resourceUri: `git+${verified.run.repository}@${verified.run.commit}`,
    policy: { uri: input.policy.uri, digest: { sha256: input.policy.digest } },
    inputs: verified.records.map((r) => ({ uri: r.where, digest: { sha256: r.digest } })),
    passed,
    levels: passed ? [environmentLevel(input.environment)] : [],
  });
}

/**
 * Decides the deploy. Returns only on allow (the decision record appended); a chain that does not
 * verify throws with nothing appended; a deny is recorded and throws StepDeniedError.
 */
export async function gateDeploy(input: GateInput, ports: GatePorts): Promise<GateResult> {
  const lines = await ports.store.read();
  const store = pinned(ports.store, lines);
  const run = input.run ?? runOfChain(lines, store.location);
  assertUndecided(lines, store.location);
  const subjects = artifactSubjects(input.artifacts);
  const time = ports.clock();
  const observations = {
    environment: input.environment,
    gate: {
      time: time.toISOString(),
      verifier: input.verifierId,
      approvals: (input.approvals ?? []).map((a) => ({ ...a })),
    },
  };
  let relied: ChainVerification | undefined;
  let summary: Statement | undefined;
  // The summary says PASSED only when the decision allows: decided first over the passing summary,
  // then signed with the verdict (a rule reading the summary sees what will be signed).
  const evidence = (soFar: ChainVerification | undefined): Statement[] => {
    if (soFar === undefined) throw new SathosError('INCOMPLETE_CHAIN', 'the chain is empty');
    relied = soFar;
    const candidate = summaryOf(input, subjects, soFar, time, true);
    const decision = decideStep({
      policy: input.policy,
      chain: lines,
      stage: GATE_STAGE,
      run,
      identity: signerFromActor(ports.signer.actor),
      subjects,
      evidence: [candidate],
      observations,
      source: store.location,
    });
    summary = decision.allowed ? candidate : summaryOf(input, subjects, soFar, time, false);
    return [summary];
  };
  const step = await recordStep(
    {
      stage: GATE_STAGE,
      subjects,
      run,
      policy: input.policy,
      artifacts: input.artifacts,
      complete: true,
      evidence,
      observations,
    },
    { ...ports, store },
  );
  if (step.decision === undefined || relied === undefined || summary === undefined)
    throw new SathosError('POLICY_DENIED', 'the gate reached no decision; nothing may deploy');
  return { decision: step.decision, step, summary, relied, observations };
}

export interface DeployInput {
  readonly environment: string;
  readonly policy: Policy;
  readonly artifacts: readonly ArtifactInput[];
  readonly run?: RunBinding;
  /** The deployment itself, run only once the deploy step is allowed and before it is signed. */
  readonly act: () => Promise<void> | Promise<Readonly<Record<string, unknown>> | undefined>;
  /** More to record (the deploy target, the supervisor's anomaly observation). */
  readonly observations?: Readonly<Record<string, unknown>>;
}

/**
 * The terminal deploy record, after an allowing decision: the chain (decision included) verified
 * complete, the deploy decided under the policy, `act` run only on allow, then the record appended.
 */
export async function recordDeploy(input: DeployInput, ports: StepPorts): Promise<StepResult> {
  const lines = await ports.store.read();
  const store = pinned(ports.store, lines);
  return recordStep(
    {
      stage: DEPLOY_STAGE_NAME,
      subjects: artifactSubjects(input.artifacts),
      run: input.run ?? runOfChain(lines, store.location),
      policy: input.policy,
      artifacts: input.artifacts,
      complete: true,
      terminal: true,
      observations: { ...input.observations, environment: input.environment },
      act: input.act,
    },
    { ...ports, store },
  );
}
