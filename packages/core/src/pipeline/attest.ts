// The attest use case: a step that names artifacts (build, test, scan, or a custom stage) records
// them, however many. A record holds at most 1,024 subjects, so a step with more is recorded as
// consecutive records of its stage, one per part of its subjects (docs/spec.md §2.2): each part is
// decided under the policy over what precedes it — exactly what the chain verifier re-evaluates —
// signed with its own evidence, and all parts are appended together or not at all.
import { decodeDssePayload, decodeRecords, nextLink } from '../attestation/chain/chain.js';
import { assertChainUnchanged } from '../attestation/chain/unchanged.js';
import { SathosError } from '../errors.js';
import type { AppendResult } from '../attestation/chain/append.js';
import type { ChainVerification } from '../attestation/chain/verify-chain.js';
import type { NextLink, RunBinding } from '../attestation/record/transition.js';
import { buildTransitionStatement, signerFromActor } from '../attestation/record/transition.js';
import type { Statement } from '../attestation/record/statement.js';
import type { Subject } from '../attestation/subjects/subject.js';
import { normalizeSubjects } from '../attestation/subjects/subject.js';
import type { SplitLimits } from '../attestation/subjects/split.js';
import { splitSubjects } from '../attestation/subjects/split.js';
import type { Policy } from '../policy/document/document.js';
import type { Decision } from '../policy/evaluate/decision.js';
import { decisionRef } from '../policy/evaluate/decision.js';
import { plannedViews } from '../policy/evaluate/record-views.js';
import type { RecordView } from '../policy/evaluate/input.js';
import { verifyChainSoFar } from './chain-so-far.js';
import type { StepPorts } from './record-step.js';
import { StepDeniedError } from './record-step.js';
import { PartDecider } from './part-decision.js';

export interface AttestStepInput {
  readonly stage: string;
  /** The step's subjects, from any input; deduplicated and sorted here. */
  readonly subjects: Iterable<Subject>;
  readonly run: RunBinding;
  /**
   * The step's evidence about one part of its subjects (JUnit, SARIF, SBOM, provenance…): each
   * record points to evidence about its own subjects, so every bundle stays within a chain line.
   */
  readonly evidence?: (subjects: readonly Subject[]) => readonly Statement[];
  readonly observations?: Readonly<Record<string, unknown>>;
  /** The policy that decides each record; without one the records carry no decision. */
  readonly policy?: Policy;
  /** Smaller parts than the spec's, for tests; never larger. */
  readonly split?: SplitLimits;
}

export interface AttestResult {
  /** Every record appended, in chain order (one per part of the subjects). */
  readonly records: readonly AppendResult[];
  /** Each record's decision, when a policy decided them. */
  readonly decisions: readonly Decision[];
  /** The chain as verified before this step (undefined: this step is the genesis). */
  readonly soFar?: ChainVerification;
  /** Every bundle appended (evidence and records), in the order they were written. */
  readonly bundles: readonly unknown[];
  readonly subjects: number;
}

/** Where the record after `digest` attaches, when it follows only that record. */
function after(link: NextLink, digest: string): NextLink {
  return {
    sequence: link.sequence + 1,
    genesis: link.genesis ?? { sha256: digest },
    previous: [{ digest: { sha256: digest } }],
  };
}

/** Observations of one part: the step's own, plus which part this is when there are several. */
function partObservations(
  input: AttestStepInput,
  index: number,
  count: number,
): Readonly<Record<string, unknown>> | undefined {
  if (count === 1) return input.observations;
  return { ...input.observations, subjectParts: { part: index + 1, of: count } };
}

/**
 * Records one step over its subjects. The chain handed fails to verify, or the input is unusable:
 * throws, nothing appended. A part the policy denies: every record up to it is appended (the
 * last one carrying the deny), then StepDeniedError is thrown (docs/spec.md §5.2).
 */
export async function attestStep(input: AttestStepInput, ports: StepPorts): Promise<AttestResult> {
  const { store, signer } = ports;
  if (input.observations !== undefined && 'subjectParts' in input.observations) {
    // The verifier holds a step's parts together by this field (docs/spec.md §2.3): only the split sets it.
    throw new SathosError(
      'USAGE',
      'observations.subjectParts is set by the step service when it splits a step; leave it out',
    );
  }
  const parts = splitSubjects(normalizeSubjects(input.subjects), input.split);
  const chain = await store.read();
  const soFar = verifyChainSoFar({
    lines: chain,
    trust: ports.trust,
    run: input.run,
    source: store.location,
    ...(input.policy === undefined ? {} : { policy: input.policy }),
  });
  const records = decodeRecords(chain, store.location);
  const views: RecordView[] = plannedViews(records, chain);
  const decider =
    input.policy === undefined ? undefined : new PartDecider(input.policy, input.run, signer.actor);
  let link = nextLink(records);
  const bundles: unknown[] = [];
  const appended: AppendResult[] = [];
  const decisions: Decision[] = [];
  for (const [index, part] of parts.entries()) {
    const evidence = input.evidence?.(part) ?? [];
    const observations = partObservations(input, index, parts.length);
    const decision = decider?.decide({
      stage: input.stage,
      previous: views,
      part,
      evidence,
      observations,
      where: store.location,
    });
    if (decision !== undefined) decisions.push(decision);
    // Evidence first, then the record naming it: as appendTransition writes a step.
    const refs = [];
    const evidenceBundles = [];
    for (const statement of evidence) {
      const bundle = await signer.sign(statement);
      const { digest } = decodeDssePayload(bundle, `${input.stage} evidence`);
      evidenceBundles.push(bundle);
      refs.push({ predicateType: statement.predicateType, digest: { sha256: digest } });
    }
    const statement = buildTransitionStatement({
      stage: input.stage,
      subjects: part,
      run: input.run,
      link,
      actor: signer.actor,
      evidence: refs,
      ...(decision === undefined ? {} : { policy: decisionRef(decision) }),
      ...(observations === undefined ? {} : { observations }),
    });
    const bundle = await signer.sign(statement);
    const { digest } = decodeDssePayload(bundle, `${input.stage} record`);
    bundles.push(...evidenceBundles, bundle);
    appended.push({ digest, sequence: link.sequence, statement, evidence: refs, bundle });
    views.push({ digest, statement, signer: signerFromActor(signer.actor), evidence });
    link = after(link, digest);
    if (decision !== undefined && !decision.allowed) {
      await assertChainUnchanged(store, chain);
      await store.appendAll(bundles);
      throw new StepDeniedError(decision, appended[appended.length - 1] as AppendResult);
    }
  }
  // Everything is signed before anything is written: the step's bundles go in together or not at all,
  // after the chain they follow, exactly as verified.
  await assertChainUnchanged(store, chain);
  await store.appendAll(bundles);
  return {
    records: appended,
    decisions,
    bundles,
    subjects: parts.reduce((n, p) => n + p.length, 0),
    ...(soFar === undefined ? {} : { soFar }),
  };
}
