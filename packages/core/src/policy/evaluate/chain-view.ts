// The chain as policy re-evaluation reads it, built once for the whole chain: every record's CEL
// value prepared once, and each record's ancestry as an index into the shared list (a prefix, plus
// the few records of parallel branches past it) rather than a rebuilt array. Every record's
// `records` and `identities` lists are views over the shared values, so deciding for a chain of n
// records costs O(n), not O(n²).
import type { CelList } from '@bufbuild/cel';
import { celList } from '@bufbuild/cel';
import { SathosError } from '../../errors.js';
import { checkActiveBudget } from '../cel/budget.js';
import type { CelVariable } from '../cel/values.js';

/** What building the ancestry index may copy at most (positions), however the chain forks. */
export const ANCESTRY_LIMITS = { maxCopiedPositions: 16 * 1024 * 1024 } as const;

/** A record as the index needs it: its position's predecessors, by link digest. */
export interface Linked {
  readonly digest: string;
  readonly statement: {
    readonly predicate: {
      readonly previous: readonly { readonly digest: { readonly sha256: string } }[];
    };
  };
}

/**
 * A list of positions shared by a branch's records; each reads its first `length`. Only a list this
 * index made grows (in place); the empty view's list is frozen and never shared as a growable one.
 */
interface Shared {
  readonly items: readonly number[];
}

/**
 * A record's ancestors: every position below `prefix`, then `extra.items[0..length)` (ascending,
 * all ≥ prefix) — the records of parallel branches that are ancestors though others beside them
 * are not.
 */
export interface Ancestry {
  readonly prefix: number;
  readonly extra: Shared;
  readonly length: number;
}

// Frozen: module state shared by every evaluation, so appending to it would grow it without bound.
const EMPTY: Ancestry = Object.freeze({
  prefix: 0,
  extra: Object.freeze({ items: Object.freeze([]) }),
  length: 0,
});

/** The list an ancestry may append to in place: one this index made, never the frozen empty one. */
function growable(extra: Shared): number[] | undefined {
  return Object.isFrozen(extra.items) ? undefined : (extra.items as number[]);
}

class Meter {
  private copied = 0;
  spend(n: number): void {
    this.copied += n;
    if (this.copied > ANCESTRY_LIMITS.maxCopiedPositions) {
      throw new SathosError(
        'TOO_LARGE',
        `policy: the chain forks and joins so often that indexing each record's ancestry would copy more than ${ANCESTRY_LIMITS.maxCopiedPositions} positions; join parallel branches sooner`,
      );
    }
  }
}

/** The ancestry of a record with one predecessor at `p`: the predecessor's own, plus `p`. */
function extend(from: Ancestry, p: number, meter: Meter): Ancestry {
  if (from.prefix === p && from.length === 0)
    return { prefix: p + 1, extra: EMPTY.extra, length: 0 };
  // Append in place when no sibling has extended this list past our predecessor's view of it.
  const items = growable(from.extra);
  if (items !== undefined && items.length === from.length) {
    items.push(p);
    return { prefix: from.prefix, extra: from.extra, length: from.length + 1 };
  }
  if (from.length === 0) return { prefix: from.prefix, extra: { items: [p] }, length: 1 };
  meter.spend(from.length + 1);
  const copy = [...from.extra.items.slice(0, from.length), p];
  return { prefix: from.prefix, extra: { items: copy }, length: copy.length };
}

/** The ancestry of a join: every predecessor's ancestry and the predecessors themselves. */
function join(parts: readonly { ancestry: Ancestry; at: number }[], meter: Meter): Ancestry {
  const closed = parts.map(({ ancestry, at }) => extend(ancestry, at, meter));
  const prefix = Math.max(...closed.map((c) => c.prefix));
  const positions = new Set<number>();
  for (const c of closed) {
    meter.spend(c.length);
    for (let k = 0; k < c.length; k++) {
      const position = c.extra.items[k] ?? -1;
      if (position >= prefix) positions.add(position);
    }
  }
  const items = [...positions].sort((a, b) => a - b);
  return { prefix, extra: { items }, length: items.length };
}

/**
 * Every record's ancestry, for records in sequence order (a predecessor always comes before its
 * successors). A record whose ancestors are all the records before it gets a bare prefix.
 */
export function ancestryIndex(records: readonly Linked[]): Ancestry[] {
  const position = new Map(records.map((r, i) => [r.digest, i]));
  const meter = new Meter();
  const out: Ancestry[] = [];
  records.forEach((record, i) => {
    const preds = [
      ...new Set(record.statement.predicate.previous.map((l) => position.get(l.digest.sha256))),
    ].filter((p): p is number => p !== undefined && p < i);
    const first = preds[0];
    let ancestry =
      first === undefined
        ? EMPTY
        : preds.length === 1
          ? extend(out[first] ?? EMPTY, first, meter)
          : join(
              preds.map((at) => ({ ancestry: out[at] ?? EMPTY, at })),
              meter,
            );
    // Every record before this one is an ancestor: the branches have joined; a prefix again.
    if (ancestry.prefix + ancestry.length === i)
      ancestry = { prefix: i, extra: EMPTY.extra, length: 0 };
    out.push(ancestry);
  });
  return out;
}

/** The positions of an ancestry, in order. */
export function* ancestorPositions(a: Ancestry): Generator<number> {
  for (let i = 0; i < a.prefix; i++) yield i;
  for (let k = 0; k < a.length; k++) yield a.extra.items[k] ?? 0;
}

/**
 * A CEL list of `values` at the ancestry's positions (then `tail`, when given), reading the shared
 * values in place; iterating it spends the active decision's budget like every input list.
 */
export function ancestryList(
  values: readonly CelVariable[],
  a: Ancestry,
  tail?: CelVariable,
): CelList {
  const size = a.prefix + a.length + (tail === undefined ? 0 : 1);
  const at = (i: number): CelVariable | undefined => {
    if (i < 0 || i >= size) return undefined;
    if (i < a.prefix) return values[i];
    const k = i - a.prefix;
    return k < a.length ? values[a.extra.items[k] ?? -1] : tail;
  };
  function* iterate(): Generator<CelVariable> {
    for (let i = 0; i < size; i++) yield at(i) ?? null;
  }
  const iterator = (): Generator<CelVariable> => {
    checkActiveBudget();
    return iterate();
  };
  // celList reads an array's length, its indices and values(): answered here from the shared list.
  const view = new Proxy([] as CelVariable[], {
    get(target, prop, receiver) {
      if (prop === 'length') return size;
      if (prop === 'values' || prop === Symbol.iterator) return iterator;
      if (typeof prop === 'string' && /^(0|[1-9][0-9]*)$/.test(prop)) return at(Number(prop));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return celList(view);
}
