import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { celList, isCelList } from '@bufbuild/cel';
import type { Linked } from './chain-view.js';
import { ancestorPositions, ancestryIndex, ancestryList } from './chain-view.js';

/** Records named r0, r1, … whose previous are the given positions (each below its own). */
function chainOf(previous: readonly (readonly number[])[]): Linked[] {
  return previous.map((ps, i) => ({
    digest: `r${i}`,
    statement: { predicate: { previous: ps.map((p) => ({ digest: { sha256: `r${p}` } })) } },
  }));
}

/** The ancestors of every record, the slow and obvious way: a walk back along every link. */
function bruteForce(previous: readonly (readonly number[])[]): number[][] {
  return previous.map((ps) => {
    const seen = new Set<number>();
    const stack = [...ps];
    while (stack.length > 0) {
      const p = stack.pop() as number;
      if (seen.has(p)) continue;
      seen.add(p);
      stack.push(...(previous[p] ?? []));
    }
    return [...seen].sort((a, b) => a - b);
  });
}

/** A DAG in sequence order: record i links to some records before it (record 0 to none). */
const dags = fc
  .array(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 60 })
  .map((rows) => rows.map((row, i) => (i === 0 ? [] : [...new Set(row.map((n) => n % i))])));

void describe('ancestryIndex', () => {
  void it('gives a linear chain bare prefixes, with nothing copied', () => {
    const index = ancestryIndex(chainOf([[], [0], [1], [2]]));
    assert.deepEqual(
      index.map((a) => [a.prefix, a.length]),
      [
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    );
  });

  void it('leaves a parallel sibling out of a branch, and takes it back at the join', () => {
    // 0 → 1 → (2 | 3) → 4 → 5: 3 is no ancestor of 2's successors until 5 joins them.
    const previous = [[], [0], [1], [1], [2], [4, 3]];
    const index = ancestryIndex(chainOf(previous));
    assert.deepEqual(
      index.map((a) => [...ancestorPositions(a)]),
      bruteForce(previous),
    );
    assert.deepEqual([index[5]?.prefix, index[5]?.length], [5, 0]);
  });

  void it('shares no growable state between evaluations: the empty view stays empty and frozen', () => {
    // 0 → (1 | 2), 2 → 3: record 2's ancestry is a prefix with the empty list, and 3 extends it.
    const forked = [[], [0], [0], [2]];
    const first = ancestryIndex(chainOf(forked));
    const second = ancestryIndex(chainOf(forked));
    assert.deepEqual(
      second.map((a) => [...ancestorPositions(a)]),
      bruteForce(forked),
    );
    const [root] = ancestryIndex(chainOf([[]]));
    assert.ok(root !== undefined);
    assert.deepEqual(root.extra.items, [], 'an earlier evaluation appended to the empty view');
    assert.ok(Object.isFrozen(root.extra.items));
    assert.throws(() => (root.extra.items as number[]).push(9), TypeError);
    assert.notEqual(first[3]?.extra, second[3]?.extra, 'two evaluations share one list');
  });

  void it('equals a walk along every link, for any chain', () => {
    fc.assert(
      fc.property(dags, (previous) => {
        const index = ancestryIndex(chainOf(previous));
        assert.deepEqual(
          index.map((a) => [...ancestorPositions(a)]),
          bruteForce(previous),
        );
      }),
      { numRuns: 300 },
    );
  });
});

void describe('ancestryList', () => {
  void it('reads the shared values at the ancestry, then the tail, as a CEL list', () => {
    const values = ['a', 'b', 'c', 'd', 'e'];
    const [, , , , fifth] = ancestryIndex(chainOf([[], [0], [1], [1], [3]]));
    assert.ok(fifth !== undefined);
    const list = ancestryList(values, fifth, 'own');
    assert.ok(isCelList(list));
    assert.equal(list.size, 4);
    assert.deepEqual([...list], ['a', 'b', 'd', 'own']);
    assert.equal(list.get(2), 'd');
    assert.equal(list.get(4), undefined);
    assert.deepEqual([...list], [...celList(['a', 'b', 'd', 'own'])]);
  });
});
