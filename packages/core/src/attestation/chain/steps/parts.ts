// A step recorded in parts (docs/spec.md §2.3) is whole on the chain: parts 1..n of one stage in a
// line, or cut at a part that recorded a deny (the step ended there). Without this check a chain
// cut back to a step's first parts — the denied part, or the later parts, dropped between jobs —
// verified as if the step had been that small, and the next step built on it and bound its
// artifacts. Linear: each record's own parts field and its links are read once.
import { describeSigner } from '../../../identity/signers/signer-identity.js';
import { stepError } from './checked.js';
import type { Record_ } from './checked.js';

interface Part {
  readonly part: number;
  readonly of: number;
}

const fail = stepError('parts', 'INCOMPLETE_CHAIN');

/** The record's `subjectParts`, checked; undefined when the step has one part. */
function partOf(record: Record_): Part | undefined {
  const value = record.statement.predicate.observations?.subjectParts;
  if (value === undefined) return undefined;
  const { part, of } = (value ?? {}) as { part?: unknown; of?: unknown };
  if (
    !Number.isSafeInteger(part) ||
    !Number.isSafeInteger(of) ||
    (part as number) < 1 ||
    (of as number) < 2 ||
    (part as number) > (of as number)
  ) {
    throw stepError('parts', 'MALFORMED_STATEMENT')(
      'observations.subjectParts must be {"part": k, "of": n} with 1 <= k <= n and n >= 2',
      record.where,
    );
  }
  return { part: part as number, of: of as number };
}

/** Whether `next` is the part right after `record`'s (same stage, part + 1 of the same n). */
function follows(next: Record_ | undefined, record: Record_, part: Part): boolean {
  if (next === undefined) return false;
  const p = partOf(next);
  return (
    next.statement.predicate.stage === record.statement.predicate.stage &&
    p !== undefined &&
    p.part === part.part + 1 &&
    p.of === part.of
  );
}

/** Same signer: the same key, or the same subject and issuer in the same run of the workflow. */
function sameSigner(a: Record_, b: Record_): boolean {
  if (describeSigner(a.signer) !== describeSigner(b.signer)) return false;
  if (a.signer.kind !== 'certificate' || b.signer.kind !== 'certificate') return true;
  return a.signer.claims.runInvocationURI === b.signer.claims.runInvocationURI;
}

/**
 * Every part k > 1 follows only part k - 1 of its step, signed by the same signer; every part k < n is followed only by part
 * k + 1, unless it recorded a deny and so ended the step (and the chain: §5.2).
 */
export function checkParts(records: ReadonlyMap<string, Record_>): void {
  const children = new Map<string, Record_[]>();
  for (const record of records.values()) {
    for (const digest of new Set(record.statement.predicate.previous.map((l) => l.digest.sha256))) {
      const list = children.get(digest) ?? [];
      list.push(record);
      children.set(digest, list);
    }
  }
  for (const record of records.values()) {
    const part = partOf(record);
    if (part === undefined) continue;
    const { stage, previous } = record.statement.predicate;
    const name = `${stage} record is part ${part.part} of ${part.of} of its step`;
    if (part.part > 1) {
      const before =
        previous.length === 1 ? records.get(previous[0]?.digest.sha256 ?? '') : undefined;
      const prior = before === undefined ? undefined : partOf(before);
      if (before === undefined || prior === undefined || !follows(record, before, prior)) {
        throw fail(`${name} but does not follow only part ${part.part - 1} of it`, record.where);
      }
      // One step, one signer: another signer's record is not a part of this step, even one the
      // policy allows for the stage.
      if (!sameSigner(before, record)) {
        throw stepError('parts', 'ACTOR_MISMATCH')(
          `${name} but is signed by ${describeSigner(record.signer)}, not by ${describeSigner(before.signer)} who signed part ${prior.part}`,
          record.where,
        );
      }
    }
    if (part.part === part.of) continue;
    const next = children.get(record.digest) ?? [];
    if (next.length === 0 && record.statement.predicate.policy?.decision === 'deny') continue;
    if (next.length !== 1 || !follows(next[0], record, part)) {
      throw fail(
        `${name}, and part ${part.part + 1} does not follow it: the chain was cut inside the step; use the chain the step wrote`,
        record.where,
      );
    }
  }
}
