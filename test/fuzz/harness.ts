// The fuzz harness: how many inputs each property tries (a few hundred under `npm test`,
// SATHOS_FUZZ_RUNS under `npm run fuzz`), the verdict-or-SathosError judgement every parser must
// pass, byte and text mutations of valid inputs, and the per-property figures the long run reports.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import { isControl, REJECTION_CODES, SathosError, USAGE_CODES } from '@sathos/core';

const DEFAULT_RUNS = 200;
/** Inputs slower than this are findings in the long run (a hang in the making), never a test timing. */
const SLOW_MS = 1000;

/** Runs per property: `scale` × SATHOS_FUZZ_RUNS (or the short default), at least 1. */
export function runs(scale = 1): number {
  const configured = Number(process.env.SATHOS_FUZZ_RUNS ?? DEFAULT_RUNS);
  const base = Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_RUNS;
  return Math.max(1, Math.round(base * scale));
}

/** A fresh seed each run (a failure prints it); SATHOS_FUZZ_SEED replays one. */
export function fuzzParameters(scale = 1): fc.Parameters<unknown> {
  const seed = process.env.SATHOS_FUZZ_SEED;
  return {
    numRuns: runs(scale),
    includeErrorInReport: true,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
  };
}

const CODES: ReadonlySet<string> = new Set<string>([...REJECTION_CODES, ...USAGE_CODES]);

/** What one parser did with its inputs, for the long run's table. */
export class Tally {
  inputs = 0;
  verdicts = 0;
  refused = 0;
  /** Mutated signed inputs that verified (their signed content checked equal to the original's). */
  verified = 0;
  falseAccepts = 0;
  slowest = 0;
  readonly slow: string[] = [];
  readonly started = performance.now();

  constructor(readonly name: string) {}

  /**
   * One line per property. Crashes and false accepts are 0 whenever this runs: either one fails
   * the property first, and fast-check reports the shrunk input and its seed.
   */
  report(t: TestContext): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    t.diagnostic(
      `fuzz ${this.name}: ${this.inputs} inputs, ${this.verdicts} verdicts, ${this.refused} refused, ` +
        `${this.verified} verified, 0 crashes, ${this.falseAccepts} false accepts, slowest ${this.slowest.toFixed(0)} ms, ` +
        `${this.slow.length} over ${SLOW_MS} ms, ${seconds} s`,
    );
    assert.deepEqual(this.slow, [], `inputs slower than ${SLOW_MS} ms`);
  }

  time(started: number, input: () => string): void {
    const ms = performance.now() - started;
    this.slowest = Math.max(this.slowest, ms);
    if (ms > SLOW_MS && this.slow.length < 5) this.slow.push(input().slice(0, 200));
  }
}

/** A crash is any throw that is not a SathosError with a known code and a one-line message. */
export function assertRefusal(error: unknown): asserts error is SathosError {
  if (!(error instanceof SathosError)) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    assert.fail(`crash: not a SathosError: ${detail}`);
  }
  assert.ok(CODES.has(error.code), `unknown code ${error.code}`);
  assert.ok(error.message.trim() !== '', `${error.code} with an empty message`);
  assertOneLine(error.line, error.code);
}

/** A line break or a terminal control byte from the input would let it write output of its own. */
export function assertOneLine(line: string, what = 'output'): void {
  let control = false;
  for (let i = 0; i < line.length; i += 1) control ||= isControl(line.charCodeAt(i));
  assert.ok(!control, `${what} is not one plain line: ${JSON.stringify(line)}`);
}

/** Runs `parse` on one input: a verdict (returned), or a refusal (a SathosError); anything else fails. */
export function judge<T>(
  tally: Tally,
  describeInput: () => string,
  parse: () => T,
): { ok: true; value: T } | { ok: false; error: SathosError } {
  tally.inputs += 1;
  const started = performance.now();
  try {
    const value = parse();
    tally.verdicts += 1;
    return { ok: true, value };
  } catch (error) {
    assertRefusal(error);
    tally.refused += 1;
    return { ok: false, error };
  } finally {
    tally.time(started, describeInput);
  }
}

/** `judge` for async parsers and verifiers. */
export async function judgeAsync<T>(
  tally: Tally,
  describeInput: () => string,
  parse: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: SathosError }> {
  tally.inputs += 1;
  const started = performance.now();
  try {
    const value = await parse();
    tally.verdicts += 1;
    return { ok: true, value };
  } catch (error) {
    assertRefusal(error);
    tally.refused += 1;
    return { ok: false, error };
  } finally {
    tally.time(started, describeInput);
  }
}

/** One edit of a byte string; positions are taken modulo the length at the time of the edit. */
export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number; readonly length: number };

/** Bytes that mean something to the text formats under test: delimiters, newlines, armor, digits. */
const INTERESTING = [
  ...Buffer.from('\n\r\t {}[]":,=<>-+/\\0159aAfFzZ@#*!?.\u0000'),
  0x7f,
  0x80,
  0xc3,
  0xff,
];

const anyBytes = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 8 }),
  fc.constantFrom(...INTERESTING).map((b) => Uint8Array.of(b)),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: anyBytes }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    kind: fc.constant('swap' as const),
    a: fc.nat(),
    b: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
  }),
);

/** One to four edits. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

function applyOne(input: Buffer, m: Mutation): Buffer {
  const n = input.length;
  if (n === 0) return m.kind === 'insert' ? Buffer.from(m.bytes) : input;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(input);
      const at = m.at % n;
      out[at] = (out[at] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      const out = Buffer.from(input);
      out[m.at % n] = m.byte;
      return out;
    }
    case 'delete': {
      const at = m.at % n;
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.length)]);
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return Buffer.concat([input.subarray(0, at), m.bytes, input.subarray(at)]);
    }
    case 'truncate':
      return input.subarray(0, m.at % n);
    case 'duplicate': {
      const at = m.at % n;
      const piece = input.subarray(at, at + m.length);
      return Buffer.concat([input.subarray(0, at), piece, input.subarray(at)]);
    }
    case 'swap': {
      const [a, b] = [m.a % n, m.b % n].sort((x, y) => x - y) as [number, number];
      const length = Math.min(m.length, b - a);
      if (length <= 0) return input;
      return Buffer.concat([
        input.subarray(0, a),
        input.subarray(b, b + length),
        input.subarray(a + length, b),
        input.subarray(a, a + length),
        input.subarray(b + length),
      ]);
    }
  }
}

export function mutate(input: Buffer, edits: readonly Mutation[]): Buffer {
  return edits.reduce(applyOne, input);
}

/**
 * Mutated copies of one of `samples`, as bytes; with `edits` of zero length the sample itself
 * (so the property also sees the valid input).
 */
export function mutatedBytes(samples: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: samples.length - 1 }),
      fc.array(mutation, { minLength: 0, maxLength: 4 }),
    )
    .map(([index, edits]) => mutate(samples[index] ?? Buffer.alloc(0), edits));
}

/** Text inputs for a text parser: mutations of valid samples, and arbitrary strings. */
export function hostileText(samples: readonly string[]): fc.Arbitrary<string> {
  const bytes = samples.map((s) => Buffer.from(s));
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBytes(bytes).map((b) => b.toString('utf8')) },
    { weight: 1, arbitrary: mutatedBytes(bytes).map((b) => b.toString('latin1')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
  );
}

/** Shortens an input for an assertion message. */
export function shown(input: string | Buffer): string {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}
