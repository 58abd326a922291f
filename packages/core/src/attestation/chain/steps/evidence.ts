// Step 8 of chain verification (docs/spec.md §5): each evidence pointer resolves to a verified
// bundle of the same type, signer and subjects.
import { describeSigner } from '../../../identity/signers/signer-identity.js';
import type { VerifiedEvidence } from '../verify-chain.js';
import { stepError } from './checked.js';
import type { Checked, Record_ } from './checked.js';
import { sameSigner } from './signers.js';

/** Each evidence bundle's subject digests as `alg:hex`, computed once however many records point to it. */
export function evidenceKeys(found: Checked, cache: Map<string, Set<string>>): Set<string> {
  let keys = cache.get(found.digest);
  if (keys === undefined) {
    keys = new Set(
      found.statement.subject.flatMap((s) =>
        Object.entries(s.digest ?? {}).map(([alg, hex]) => `${alg}:${hex}`),
      ),
    );
    cache.set(found.digest, keys);
  }
  return keys;
}

/** Evidence pointers resolve to verified standard attestations about the same subjects. */
export function checkEvidence(
  record: Record_,
  evidence: ReadonlyMap<string, Checked>,
  cache: Map<string, Set<string>>,
): VerifiedEvidence[] {
  return record.statement.predicate.evidence.map((pointer) => {
    const fail = stepError('evidence', 'EVIDENCE_INVALID');
    const found = evidence.get(pointer.digest.sha256);
    if (found === undefined) {
      throw fail(
        `evidence sha256:${pointer.digest.sha256} (${pointer.predicateType}) is not in the chain`,
        record.where,
      );
    }
    if (found.statement.predicateType !== pointer.predicateType) {
      throw fail(
        `evidence at ${found.where} is ${found.statement.predicateType}, the record says ${pointer.predicateType}`,
        record.where,
      );
    }
    if (!sameSigner(found.signer, record.signer)) {
      throw fail(
        `evidence at ${found.where} was signed by ${describeSigner(found.signer)}, not by the record's signer`,
        record.where,
      );
    }
    const keys = evidenceKeys(found, cache);
    const shared = record.statement.subject.some((t) =>
      Object.entries(t.digest ?? {}).some(([alg, hex]) => keys.has(`${alg}:${hex}`)),
    );
    if (!shared)
      throw fail(
        `evidence at ${found.where} is about other subjects than the record`,
        record.where,
      );
    return { digest: found.digest, predicateType: pointer.predicateType, where: found.where };
  });
}
