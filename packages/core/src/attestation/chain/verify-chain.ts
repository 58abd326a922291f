// Verifies a chain of custody (docs/spec.md §5, steps 2–7 and 9): every bundle, every link, the run,
// the genesis, the stages in order, the terminal record, and that the artifacts are what was built.
import type { Digest } from '../../digest.js';
import { SathosError } from '../../errors.js';
import type { IdentityRule } from '../../identity/signers/identity-rule.js';
import type { SignerIdentity } from '../../identity/signers/signer-identity.js';
import type { Statement } from '../record/statement.js';
import { TRANSITION_PREDICATE_TYPE, assertTransitionStatement } from '../record/transition.js';
import type { RunBinding, TransitionStatement } from '../record/transition.js';
import type { ChainLine } from './chain.js';
import { checkArtifacts, checkEnvironment } from './steps/artifacts.js';
import { checkBundles, dedupe } from './steps/bundles.js';
import type { Checked, Record_ } from './steps/checked.js';
import { checkCompleteness } from './steps/completeness.js';
import { checkContinuity } from './steps/continuity.js';
import { checkEvidence } from './steps/evidence.js';
import { checkGraph } from './steps/graph.js';
import { checkParts } from './steps/parts.js';
import { checkSigner } from './steps/signers.js';
import { BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';
export { CONTINUITY_LIMITS } from './steps/continuity.js';

/** What the chain verifier needs of a bundle verifier (attestation/verify-bundle.ts provides it). */
export interface CheckedBundle {
  readonly signer: SignerIdentity;
  readonly statement?: Statement;
  /** SHA-256 hex of the exact DSSE payload bytes. */
  readonly payloadSha256?: string;
}
export interface BundleChecker {
  verify(bundle: unknown, expectation: { readonly where?: string }): CheckedBundle;
}

export interface ChainRequirements {
  /** Required stages, in order; the first is the genesis stage. No other stage is accepted. */
  readonly stages: readonly string[];
  /**
   * Who may sign each stage. Required: a stage with no rules can be signed by nobody, so a caller
   * cannot trust every certified signer by forgetting to say who.
   */
  readonly identities: Readonly<Record<string, readonly IdentityRule[]>>;
  /** A complete chain ends in a terminal record. Default: true when the last stage is `deploy`. */
  readonly requireTerminal?: boolean;
  /**
   * The environment the chain must have deployed to: the chain holds a deploy record, and every
   * deploy record names exactly this environment (`observations.environment`).
   */
  readonly environment?: string;
}

export interface ArtifactInput {
  readonly name: string;
  readonly digests: readonly Digest[];
}

declare const verifiedBrand: unique symbol;

/** A record whose signature, signer, links and place in the chain were all checked. */
export interface VerifiedRecord {
  readonly [verifiedBrand]: true;
  readonly digest: string;
  readonly where: string;
  readonly stage: string;
  readonly sequence: number;
  readonly signer: SignerIdentity;
  readonly statement: TransitionStatement;
  readonly evidence: readonly VerifiedEvidence[];
}

export interface VerifiedEvidence {
  readonly digest: string;
  readonly predicateType: string;
  readonly where: string;
}

export interface ChainVerification {
  readonly run: RunBinding;
  readonly genesis: VerifiedRecord;
  readonly head: VerifiedRecord;
  /** Every record, ordered by sequence then stage then digest. */
  readonly records: readonly VerifiedRecord[];
  readonly complete: boolean;
  /** The artifacts given, each bound: named by a subject of at least one verified record. */
  readonly artifacts: readonly ArtifactInput[];
}

/** Only this module makes VerifiedRecords: the brand exists in types alone and cannot be forged. */
function seal(fields: Omit<VerifiedRecord, typeof verifiedBrand>): VerifiedRecord {
  return fields as unknown as VerifiedRecord;
}

export interface VerifyChainInput {
  readonly lines: readonly ChainLine[];
  readonly checker: BundleChecker;
  readonly requirements: ChainRequirements;
  readonly artifacts: readonly ArtifactInput[];
  /** Names the chain in messages, e.g. its path. */
  readonly source?: string;
}

/** Transition records (each a v0.3 bundle, well formed, its signer allowed) apart from evidence. */
function splitRecords(
  unique: ReadonlyMap<string, Checked>,
  req: ChainRequirements,
): { records: Map<string, Record_>; evidence: Map<string, Checked> } {
  const records = new Map<string, Record_>();
  const evidence = new Map<string, Checked>();
  for (const item of unique.values()) {
    if (item.statement.predicateType !== TRANSITION_PREDICATE_TYPE) {
      evidence.set(item.digest, item);
      continue;
    }
    // docs/spec.md §1: every transition record is a v0.3 bundle (evidence may be any version).
    if (item.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
      throw new SathosError(
        'UNSUPPORTED_BUNDLE',
        `a transition record must be a Sigstore bundle v0.3 (${BUNDLE_V03_MEDIA_TYPE}), not ${JSON.stringify(item.mediaType)}`,
        { where: item.where },
      );
    }
    assertTransitionStatement(item.statement, item.where);
    const record = item as Record_;
    checkSigner(record, req);
    records.set(item.digest, record);
  }
  return { records, evidence };
}

/** Verifies the whole chain or throws a SathosError naming the step, the record and the reason. */
export function verifyChain(input: VerifyChainInput): ChainVerification {
  const { requirements: req, source = 'chain' } = input;
  if (req.stages.length === 0)
    throw new SathosError('USAGE', 'no required stages given; name at least the genesis stage');
  if (input.lines.length === 0) {
    throw new SathosError('INCOMPLETE_CHAIN', 'chain is empty: no record to verify', {
      where: source,
    });
  }
  const { records, evidence } = splitRecords(
    dedupe(checkBundles(input.lines, input.checker, source)),
    req,
  );
  const { genesis, head } = checkGraph(records, req);
  checkParts(records);
  const complete = checkCompleteness(records, head, req);
  const all = [...records.values()];
  checkContinuity(records, req);
  checkArtifacts(all, req, input.artifacts);
  checkEnvironment(all, req.environment);
  const verified = new Map<string, VerifiedRecord>();
  const evidenceCache = new Map<string, Set<string>>();
  for (const record of all) {
    const p = record.statement.predicate;
    verified.set(
      record.digest,
      seal({
        digest: record.digest,
        where: record.where,
        stage: p.stage,
        sequence: p.sequence,
        signer: record.signer,
        statement: record.statement,
        evidence: checkEvidence(record, evidence, evidenceCache),
      }),
    );
  }
  const ordered = [...verified.values()].sort(
    (a, b) =>
      a.sequence - b.sequence || a.stage.localeCompare(b.stage) || a.digest.localeCompare(b.digest),
  );
  const pick = (d: string): VerifiedRecord => verified.get(d) as VerifiedRecord;
  return {
    run: genesis.statement.predicate.run,
    genesis: pick(genesis.digest),
    head: pick(head.digest),
    records: ordered,
    complete,
    artifacts: input.artifacts,
  };
}
