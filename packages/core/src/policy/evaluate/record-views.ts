// Records as decisions see them, read from a chain: verified (the chain verifier's records, their
// evidence found by the payload digest verification already checked) or planned (a pipeline's own
// chain so far, before it signs the next record).
import type { ChainLine, PlannedRecord } from '../../attestation/chain/chain.js';
import { decodeDssePayload } from '../../attestation/chain/chain.js';
import { signerFromActor } from '../../attestation/record/transition.js';
import type { Statement } from '../../attestation/record/statement.js';
import type { ChainVerification } from '../../attestation/chain/verify-chain.js';
import type { RecordView } from './input.js';

/** Every DSSE statement in the chain by payload digest; lines that are not statements are skipped. */
export function statementsByDigest(lines: readonly ChainLine[]): Map<string, Statement> {
  const out = new Map<string, Statement>();
  for (const { line, bundle } of lines) {
    try {
      const { payload, digest } = decodeDssePayload(bundle, `line ${line}`);
      if (!out.has(digest)) out.set(digest, JSON.parse(payload.toString('utf8')) as Statement);
    } catch {
      // Not a DSSE statement: verification has judged it already; a decision has no use for it.
    }
  }
  return out;
}

/** The verified records, each with the evidence statements verification matched to it. */
export function verifiedViews(
  verification: ChainVerification,
  lines: readonly ChainLine[],
): RecordView[] {
  const statements = statementsByDigest(lines);
  return verification.records.map((r) => ({
    digest: r.digest,
    statement: r.statement,
    signer: r.signer,
    evidence: r.evidence.flatMap((e) => {
      const s = statements.get(e.digest);
      return s === undefined ? [] : [s];
    }),
  }));
}

/** A pipeline's chain so far, as the next step's decision sees it (signatures not checked here). */
export function plannedViews(
  records: readonly PlannedRecord[],
  lines: readonly ChainLine[],
): RecordView[] {
  const statements = statementsByDigest(lines);
  return records.map((r) => ({
    digest: r.digest,
    statement: r.statement,
    signer: signerFromActor(r.statement.predicate.actor),
    evidence: r.statement.predicate.evidence.flatMap((e) => {
      const s = statements.get(e.digest.sha256);
      return s === undefined ? [] : [s];
    }),
  }));
}
