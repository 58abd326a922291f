// Appends one step's transition record to a chain: its evidence first, then the record that points
// at that evidence and at the chain's current heads. Every SATHOS step goes through here.
import { SathosError } from '../../errors.js';
import type { ChainStore } from './store.js';
import type { ChainLine } from './chain.js';
import { decodeDssePayload, decodeRecords, nextLink } from './chain.js';
import { assertChainUnchanged } from './unchanged.js';
import type {
  ActorClaims,
  EvidenceRef,
  PolicyDecisionRef,
  RunBinding,
  TransitionStatement,
} from '../record/transition.js';
import { buildTransitionStatement } from '../record/transition.js';
import type { ResourceDescriptor, Statement } from '../record/statement.js';

/** Signs a statement into a Sigstore bundle (JSON form). Key or keyless: see sign.ts. */
export type SignFunction = (statement: Statement) => Promise<unknown>;

export interface AppendInput {
  readonly store: ChainStore;
  readonly sign: SignFunction;
  readonly stage: string;
  readonly subjects: readonly ResourceDescriptor[];
  readonly run: RunBinding;
  readonly actor: ActorClaims;
  /** Standard attestations this step produced (SLSA provenance, test results…), signed alongside. */
  readonly evidence?: readonly Statement[];
  readonly policy?: PolicyDecisionRef;
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly terminal?: boolean;
  /** The chain as the caller verified it: the record follows exactly it, or nothing is appended. */
  readonly verified?: readonly ChainLine[];
}

export interface AppendResult {
  /** Link digest of the new record. */
  readonly digest: string;
  readonly sequence: number;
  readonly statement: TransitionStatement;
  readonly evidence: readonly EvidenceRef[];
  /** The record's signed bundle, as appended. */
  readonly bundle: unknown;
}

export async function appendTransition(input: AppendInput): Promise<AppendResult> {
  const lines = await input.store.read();
  if (input.verified !== undefined) await assertChainUnchanged(input.store, input.verified);
  const existing = decodeRecords(lines, input.store.location);
  const link = nextLink(existing);
  const genesisRun = existing.find((r) => r.statement.predicate.sequence === 0)?.statement.predicate
    .run;
  if (genesisRun !== undefined && JSON.stringify(genesisRun) !== JSON.stringify(input.run)) {
    throw new SathosError(
      'RUN_MISMATCH',
      `chain belongs to run ${genesisRun.repository}#${genesisRun.runId}; start a new chain for this run`,
      { where: input.store.location },
    );
  }
  // Everything is signed before anything is written: the step's bundles go in together or not at all.
  const evidence: EvidenceRef[] = [];
  const bundles: unknown[] = [];
  for (const statement of input.evidence ?? []) {
    const bundle = await input.sign(statement);
    const { digest } = decodeDssePayload(bundle, `${input.stage} evidence`);
    bundles.push(bundle);
    evidence.push({ predicateType: statement.predicateType, digest: { sha256: digest } });
  }
  const statement = buildTransitionStatement({
    stage: input.stage,
    subjects: input.subjects,
    run: input.run,
    link,
    actor: input.actor,
    evidence,
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.observations === undefined ? {} : { observations: input.observations }),
    ...(input.terminal === undefined ? {} : { terminal: input.terminal }),
  });
  const bundle = await input.sign(statement);
  const { digest } = decodeDssePayload(bundle, `${input.stage} record`);
  if (input.verified !== undefined) await assertChainUnchanged(input.store, input.verified);
  await input.store.appendAll([...bundles, bundle]);
  return { digest, sequence: link.sequence, statement, evidence, bundle };
}
