// The standard variables a decision is evaluated over (docs/policy.md lists them): the chain so
// far, the step's signer, subjects and evidence, its observations, the environment and change set.
// The pipeline builds them before a step acts; the chain verifier rebuilds them from each record.
import {
  COMMIT_SIGNATURES_V1,
  SLSA_PROVENANCE_V1,
  TEST_RESULT_V01,
  VSA_V1,
  VULNS_V02,
  WORKFLOW_POSTURE_V1,
} from '../../attestation/evidence/predicates.js';
import { evidenceCounts } from '../../attestation/evidence/reports/counts.js';
import type { RunBinding, TransitionStatement } from '../../attestation/record/transition.js';
import type { ResourceDescriptor, Statement } from '../../attestation/record/statement.js';
import type { SignerIdentity } from '../../identity/signers/signer-identity.js';

/** Short names under `evidence` for the standard predicate types; any type is also in `evidence.byType`. */
export const EVIDENCE_NAMES: Readonly<Record<string, string>> = {
  [TEST_RESULT_V01]: 'testResult',
  [VULNS_V02]: 'vulns',
  [SLSA_PROVENANCE_V1]: 'provenance',
  [VSA_V1]: 'verificationSummary',
  [COMMIT_SIGNATURES_V1]: 'commitSignatures',
  [WORKFLOW_POSTURE_V1]: 'workflowPosture',
};

/** A record of the chain as a decision sees it. */
export interface RecordView {
  readonly digest: string;
  readonly statement: TransitionStatement;
  /** The verified signer (chain verification) or the claimed actor (a pipeline planning its step). */
  readonly signer: SignerIdentity;
  /** The evidence statements the record points to that were found. */
  readonly evidence: readonly Statement[];
}

/** What is known about the step being decided. */
export interface StepContext {
  readonly stage: string;
  readonly run: RunBinding;
  /** The records the step follows (the chain so far). */
  readonly previous: readonly RecordView[];
  readonly identity?: SignerIdentity;
  readonly subjects?: readonly ResourceDescriptor[];
  readonly evidence?: readonly Statement[];
  readonly observations?: Readonly<Record<string, unknown>>;
  /** The deploy environment; '' or absent when the step deploys nowhere. */
  readonly environment?: string;
  /** The change set (commits, files) when the step knows it; absent, rules that read it fail. */
  readonly changes?: unknown;
}

export function signerJson(signer: SignerIdentity): Record<string, unknown> {
  return signer.kind === 'key'
    ? { kind: 'key', keyId: signer.keyId }
    : {
        kind: 'certificate',
        issuer: signer.issuer,
        subject: signer.subject,
        claims: { ...signer.claims },
      };
}

export function evidenceJson(statements: readonly Statement[]): Record<string, unknown> {
  const byType: Record<string, unknown> = {};
  const named: Record<string, unknown> = {};
  for (const s of statements) {
    if (!Object.hasOwn(byType, s.predicateType)) byType[s.predicateType] = s.predicate ?? {};
    const name = EVIDENCE_NAMES[s.predicateType];
    if (name !== undefined && !Object.hasOwn(named, name)) named[name] = s.predicate ?? {};
  }
  // Counts over every test-result and vulns statement, for thresholds (docs/policy.md § Evidence).
  return { ...named, ...evidenceCounts(statements), byType };
}

/** One record of `chain.records`. */
export function recordJson(r: RecordView): Record<string, unknown> {
  const p = r.statement.predicate;
  return {
    stage: p.stage,
    sequence: p.sequence,
    digest: r.digest,
    terminal: p.terminal === true,
    signer: signerJson(r.signer),
    subjects: r.statement.subject,
    evidenceTypes: p.evidence.map((e) => e.predicateType),
    evidence: evidenceJson(r.evidence),
    ...(p.policy === undefined ? {} : { policy: p.policy }),
    observations: p.observations ?? {},
  };
}

/** One entry of `identities`: who signed a stage. */
export function identityJson(stage: string, signer: SignerIdentity): Record<string, unknown> {
  return { stage, ...signerJson(signer) };
}

/**
 * The variables of a decision, JSON-shaped; prepare them with `celVariables`. `recordValue` lets a
 * caller deciding for many records share each record's (prepared) value instead of rebuilding it.
 */
export function stepVariables(
  ctx: StepContext,
  recordValue: (r: RecordView) => unknown = recordJson,
): Record<string, unknown> {
  const records = [...ctx.previous]
    .sort((a, b) => a.statement.predicate.sequence - b.statement.predicate.sequence)
    .map(recordValue);
  const identities = [
    ...ctx.previous.map((r) => identityJson(r.statement.predicate.stage, r.signer)),
    ...(ctx.identity === undefined ? [] : [identityJson(ctx.stage, ctx.identity)]),
  ];
  return variablesOver(ctx, records, identities);
}

/**
 * The variables of a decision whose `records` (the chain so far, by sequence) and `identities`
 * (theirs, then the step's own) are given ready-made: the chain verifier shares them between the
 * decisions of every record instead of rebuilding them per record.
 */
export function variablesOver(
  ctx: Omit<StepContext, 'previous'>,
  records: unknown,
  identities: unknown,
): Record<string, unknown> {
  return {
    stage: ctx.stage,
    run: ctx.run,
    chain: { run: ctx.run, records },
    records,
    identities,
    ...(ctx.identity === undefined ? {} : { identity: signerJson(ctx.identity) }),
    subjects: ctx.subjects ?? [],
    evidence: evidenceJson(ctx.evidence ?? []),
    observations: ctx.observations ?? {},
    environment: ctx.environment ?? '',
    ...(ctx.changes === undefined ? {} : { changes: ctx.changes }),
  };
}
