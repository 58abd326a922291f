// Step 7 of chain verification (docs/spec.md §5): every subject a later stage names was named on
// its own ancestry by every stage from the build on.
import { digestSetNames } from '../../../digest.js';
import type { Digest } from '../../../digest.js';
import type { ResourceDescriptor } from '../../record/statement.js';
import type { ChainRequirements } from '../verify-chain.js';
import { stepError } from './checked.js';
import type { Record_ } from './checked.js';

/** What continuity may copy or merge at most (digests), so a chain of many forks stays bounded. */
export const CONTINUITY_LIMITS = { maxCopiedDigests: 8 * 1024 * 1024 } as const;

export function namesDigest(
  subjects: readonly ResourceDescriptor[],
  digests: readonly Digest[],
): boolean {
  return subjects.some((s) => s.digest !== undefined && digestSetNames(s.digest, digests));
}

export function subjectDigests(subject: ResourceDescriptor): Digest[] {
  return Object.entries(subject.digest ?? {}).flatMap(([algorithm, hex]) =>
    algorithm === 'gitCommit' ? [] : [{ algorithm, hex: hex.toLowerCase() } as Digest],
  );
}

/**
 * The digests continuity matches a subject by. SHA-1 only when the subject names nothing stronger:
 * a deploy of `{sha256: twin, sha1: same}` must not continue a build of `{sha256: built, sha1: same}`
 * (SHA-1 collisions can be made), as `digestSetNames` refuses the same for artifacts.
 */
export function digestKeys(subject: ResourceDescriptor): string[] {
  const digests = subjectDigests(subject);
  const strong = digests.filter((d) => d.algorithm !== 'sha1');
  return (strong.length > 0 ? strong : digests).map((d) => `${d.algorithm}:${d.hex}`);
}

/**
 * The digests each stage named on a record's ancestry (itself included), as interned ids. Sets are
 * shared between records by reference; `owned` holds the sets only this record may still change.
 */
export interface Named {
  readonly sets: Map<string, Set<number>>;
  readonly owned: Set<Set<number>>;
}

/** Counts the digests continuity copies and refuses a chain that would make it copy too many. */
export class CopyMeter {
  private copied = 0;
  spend(n: number): void {
    this.copied += n;
    if (this.copied > CONTINUITY_LIMITS.maxCopiedDigests) {
      throw stepError(
        'continuity',
        'TOO_LARGE',
      )(
        `the chain forks and joins so often that checking continuity would copy more than ${CONTINUITY_LIMITS.maxCopiedDigests} digests; join parallel branches sooner`,
      );
    }
  }
}

/** A predecessor's sets for one child: the last child takes them over, earlier ones share them. */
export function inherit(from: Named, last: boolean): Named {
  if (last) return from;
  from.owned.clear();
  return { sets: new Map(from.sets), owned: new Set() };
}

/** The set of `stage` in `named`, made safe to change (copied once if it is shared). */
export function writable(named: Named, stage: string, meter: CopyMeter): Set<number> {
  const current = named.sets.get(stage);
  if (current !== undefined && named.owned.has(current)) return current;
  if (current !== undefined) meter.spend(current.size);
  const set = new Set(current);
  named.sets.set(stage, set);
  named.owned.add(set);
  return set;
}

/** Joins the predecessors' sets into the largest one; identical (shared) sets cost nothing. */
export function joinNamed(parts: readonly Named[], meter: CopyMeter): Named {
  const size = (n: Named): number => [...n.sets.values()].reduce((t, s) => t + s.size, 0);
  const [base, ...rest] = [...parts].sort((a, b) => size(b) - size(a));
  if (base === undefined) return { sets: new Map(), owned: new Set() };
  for (const other of rest) {
    for (const [stage, set] of other.sets) {
      const mine = base.sets.get(stage);
      if (mine === set) continue;
      if (mine === undefined) {
        base.sets.set(stage, set);
        if (other.owned.has(set)) base.owned.add(set);
        continue;
      }
      const into = writable(base, stage, meter);
      meter.spend(set.size);
      for (const id of set) into.add(id);
    }
  }
  return base;
}

/** How many records name each record as previous: its last child may take its sets over. */
export function childCounts(records: ReadonlyMap<string, Record_>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records.values()) {
    for (const d of new Set(record.statement.predicate.previous.map((l) => l.digest.sha256)))
      counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return counts;
}

/**
 * Step 7: continuity along the graph, not just across the chain. Every subject a later stage names
 * must have been named, on that record's own ancestry, by a record of every required stage from
 * the build up to its own — so a deploy cannot name an artifact a parallel branch built but never
 * tested. Linear in the chain: a record shares its predecessor's digest sets (copying only where
 * the chain forks), and digests are interned to small ids.
 */
export function checkContinuity(
  records: ReadonlyMap<string, Record_>,
  req: ChainRequirements,
): void {
  const [, producer] = req.stages;
  if (producer === undefined) return;
  const rank = new Map(req.stages.map((s, i) => [s, i]));
  const producerRank = 1;
  const ids = new Map<string, number>();
  const intern = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const meter = new CopyMeter();
  const remaining = childCounts(records);
  const named = new Map<string, Named>();
  const take = (digest: string): Named | undefined => {
    const from = named.get(digest);
    if (from === undefined) return undefined;
    const left = (remaining.get(digest) ?? 1) - 1;
    remaining.set(digest, left);
    if (left <= 0) named.delete(digest);
    return inherit(from, left <= 0);
  };
  const ordered = [...records.values()].sort(
    (a, b) => a.statement.predicate.sequence - b.statement.predicate.sequence,
  );
  for (const record of ordered) {
    const { stage, previous } = record.statement.predicate;
    const parts = [...new Set(previous.map((l) => l.digest.sha256))].flatMap((d) => {
      const part = take(d);
      return part === undefined ? [] : [part];
    });
    const inherited =
      parts.length === 1 && parts[0] !== undefined ? parts[0] : joinNamed(parts, meter);
    const r = rank.get(stage) ?? 0;
    const own = record.statement.subject.map((subject) => ({
      subject,
      keys: digestKeys(subject).map(intern),
    }));
    if (r > producerRank) {
      const required = req.stages.slice(producerRank, r);
      for (const { subject, keys } of own) {
        const missing = required.filter(
          (t) => !keys.some((k) => inherited.sets.get(t)?.has(k) === true),
        );
        if (missing.length > 0) {
          throw stepError('continuity', 'SUBJECT_DISCONTINUITY')(
            `${stage} record names ${subject.name ?? 'a subject'} that no earlier ${missing.join(', ')} record on its path named: it is not what was ${missing[0] === producer ? 'built' : 'checked'}`,
            record.where,
          );
        }
      }
    }
    const mine = inherited.sets.get(stage);
    const added = own.flatMap((o) => o.keys).filter((k) => mine?.has(k) !== true);
    if (added.length > 0) {
      const into = writable(inherited, stage, meter);
      for (const k of added) into.add(k);
    }
    if ((remaining.get(record.digest) ?? 0) > 0) named.set(record.digest, inherited);
  }
}
