// Step 6 of chain verification (docs/spec.md §5): the stages in order on every record's ancestry,
// and the head covering them all.
import type { ChainRequirements } from '../verify-chain.js';
import { stepError } from './checked.js';
import type { Record_ } from './checked.js';

/** Step 6: every required stage present, each after the ones before it; a terminal end if required. */
export function checkCompleteness(
  records: ReadonlyMap<string, Record_>,
  head: Record_,
  req: ChainRequirements,
): boolean {
  const rank = new Map(req.stages.map((s, i) => [s, i]));
  const ancestors = new Map<string, Set<string>>();
  const ordered = [...records.values()].sort(
    (a, b) => a.statement.predicate.sequence - b.statement.predicate.sequence,
  );
  for (const record of ordered) {
    const { stage, previous } = record.statement.predicate;
    const r = rank.get(stage);
    if (r === undefined) {
      throw stepError('completeness', 'STAGE_ORDER')(
        `stage "${stage}" is not one the requirements declare (${req.stages.join(', ')})`,
        record.where,
      );
    }
    const seen = new Set<string>();
    for (const link of previous) {
      const prev = records.get(link.digest.sha256);
      for (const s of ancestors.get(link.digest.sha256) ?? []) seen.add(s);
      if (prev !== undefined) seen.add(prev.statement.predicate.stage);
    }
    const missing = req.stages.slice(0, r).filter((s) => !seen.has(s));
    if (missing.length > 0) {
      throw stepError('completeness', 'STAGE_ORDER')(
        `${stage} record comes before any ${missing.join(', ')} record; stages must run in order`,
        record.where,
      );
    }
    const later = req.stages.slice(r + 1).filter((s) => seen.has(s));
    if (later.length > 0) {
      throw stepError('completeness', 'STAGE_ORDER')(
        `${stage} record comes after a ${later.join(', ')} record; stages must run in order`,
        record.where,
      );
    }
    ancestors.set(record.digest, seen);
  }
  const reached = new Set([...(ancestors.get(head.digest) ?? []), head.statement.predicate.stage]);
  const absent = req.stages.filter((s) => !reached.has(s));
  if (absent.length > 0) {
    throw stepError(
      'completeness',
      'INCOMPLETE_CHAIN',
    )(
      `chain ends at ${head.where} (${head.statement.predicate.stage}) without ${absent.join(', ')}: it was cut short`,
    );
  }
  const terminal = head.statement.predicate.terminal === true;
  const requireTerminal = req.requireTerminal ?? req.stages.at(-1) === 'deploy';
  if (requireTerminal && !terminal) {
    throw stepError(
      'completeness',
      'INCOMPLETE_CHAIN',
    )(`chain ends at ${head.where} with no terminal record: the deployment record is missing`);
  }
  return terminal;
}
