// The time budget of one decision. CEL runs synchronously, so the lists and maps of an input check
// the budget while a comprehension walks them: a rule that would loop for minutes stops instead.

/** Thrown from inside an evaluation when its time is up; the engine turns it into a failed rule. */
export class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
}

export interface Budget {
  /** Throws BudgetExceeded when the deadline has passed. */
  check(): void;
  readonly exceeded: boolean;
}

/** A budget ending `ms` after now by `clock` (milliseconds, monotonic). */
export function budget(ms: number, clock: () => number): Budget {
  const deadline = clock() + ms;
  let exceeded = false;
  return {
    check() {
      if (exceeded || clock() > deadline) {
        exceeded = true;
        throw new BudgetExceeded(`evaluation took longer than ${ms} ms`);
      }
    },
    get exceeded() {
      return exceeded;
    },
  };
}

let active: Budget | undefined;

/** Runs `fn` with `b` as the budget that input lists and maps check while iterated. */
export function withBudget<T>(b: Budget, fn: () => T): T {
  const previous = active;
  active = b;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** Throws BudgetExceeded when the active budget has run out (a loop's step checks it). */
export function checkActiveBudget(): void {
  active?.check();
}

/**
 * An input list: every iteration of it (each comprehension over it, at every nesting level) first
 * checks the active budget, so nested comprehensions stop within one pass of the innermost list.
 */
export class BudgetedList<T> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  override values(): ArrayIterator<T> {
    active?.check();
    return super.values();
  }
}

/** An input map: iterating its keys (as CEL comprehensions over maps do) checks the budget first. */
export class BudgetedMap<K, V> extends Map<K, V> {
  override keys(): MapIterator<K> {
    active?.check();
    return super.keys();
  }
}
