// Step 5 of chain verification (docs/spec.md §5): one genesis bound to the run's commit, every link
// resolving within one run, one head, no cycle.
import type { RunBinding } from '../../record/transition.js';
import type { ChainRequirements } from '../verify-chain.js';
import { stepError } from './checked.js';
import type { Record_ } from './checked.js';

export function sameRun(a: RunBinding, b: RunBinding): boolean {
  return (
    a.repository === b.repository &&
    a.workflowRef === b.workflowRef &&
    a.runId === b.runId &&
    a.runAttempt === b.runAttempt &&
    a.commit === b.commit
  );
}

/** Step 5: one genesis bound to the commit, every link resolves within one run, one head, no cycle. */
export function checkGraph(
  records: ReadonlyMap<string, Record_>,
  req: ChainRequirements,
): { genesis: Record_; head: Record_ } {
  const graph = stepError('graph', 'CHAIN_BROKEN');
  const geneses = [...records.values()].filter((r) => r.statement.predicate.sequence === 0);
  const genesis = geneses[0];
  if (genesis === undefined) {
    throw stepError(
      'graph',
      'INCOMPLETE_CHAIN',
    )('no genesis record (sequence 0): the chain has lost its start');
  }
  if (geneses.length > 1) {
    throw stepError('graph', 'GENESIS_INVALID')(
      `${geneses.length} genesis records; a chain has exactly one`,
      geneses[1]?.where,
    );
  }
  const g = genesis.statement;
  const firstStage = req.stages[0];
  if (firstStage !== undefined && g.predicate.stage !== firstStage) {
    throw stepError('graph', 'GENESIS_INVALID')(
      `genesis record is a ${g.predicate.stage} record; the chain must start with ${firstStage}`,
      genesis.where,
    );
  }
  const commit = g.predicate.run.commit;
  if (!g.subject.some((s) => s.digest?.gitCommit === commit)) {
    throw stepError('graph', 'GENESIS_INVALID')(
      `genesis subject is not the run's commit ${commit}`,
      genesis.where,
    );
  }
  const referenced = new Set<string>();
  for (const record of records.values()) {
    const p = record.statement.predicate;
    if (!sameRun(p.run, g.predicate.run)) {
      throw stepError('graph', 'RUN_MISMATCH')(
        `record belongs to run ${p.run.repository}#${p.run.runId}.${p.run.runAttempt}, not ${g.predicate.run.repository}#${g.predicate.run.runId}.${g.predicate.run.runAttempt}`,
        record.where,
      );
    }
    if (p.sequence === 0) continue;
    if (p.genesis?.sha256 !== genesis.digest) {
      throw stepError('graph', 'GENESIS_INVALID')(
        `record names genesis sha256:${p.genesis?.sha256 ?? '?'}, but this chain's genesis is sha256:${genesis.digest}`,
        record.where,
      );
    }
    let highest = -1;
    for (const link of p.previous) {
      const prev = records.get(link.digest.sha256);
      if (prev === undefined) {
        throw graph(
          `previous record sha256:${link.digest.sha256} is not in the chain`,
          record.where,
        );
      }
      if (prev.statement.predicate.terminal === true) {
        throw graph(
          `record follows the terminal record ${prev.where}; nothing may follow it`,
          record.where,
        );
      }
      referenced.add(link.digest.sha256);
      highest = Math.max(highest, prev.statement.predicate.sequence);
    }
    // Sequences strictly rise along every link, so the graph can hold no cycle.
    if (p.sequence !== highest + 1) {
      throw graph(
        `sequence ${p.sequence} does not follow its previous (expected ${highest + 1})`,
        record.where,
      );
    }
  }
  const heads = [...records.values()].filter((r) => !referenced.has(r.digest));
  const head = heads[0];
  if (head === undefined || heads.length > 1) {
    throw stepError(
      'graph',
      'CHAIN_FORK',
    )(
      `chain has ${heads.length} heads (${heads.map((h) => h.where).join(', ')}); parallel branches must join before the chain ends`,
    );
  }
  return { genesis, head };
}
