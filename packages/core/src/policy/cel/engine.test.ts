import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../../errors.js';
import { budget } from './budget.js';
import { CelCompileError, compileExpression } from './engine.js';
import { compilePattern } from './regex.js';
import { celVariables, parseEvaluationInput } from './values.js';
import { INPUT_LIMITS } from '../document/limits.js';

const clock = (): number => performance.now();

function run(expression: string, input: Record<string, unknown>, ms = 1000) {
  return compileExpression(expression).evaluate(celVariables(input), budget(ms, clock));
}

void describe('compileExpression', () => {
  void it('evaluates a bool over JSON variables', () => {
    assert.deepEqual(
      run("evidence.testResult.result == 'PASSED'", {
        evidence: { testResult: { result: 'PASSED' } },
      }),
      {
        ok: true,
        value: true,
      },
    );
  });

  void it('reads whole JSON numbers as CEL ints, so counting works', () => {
    assert.deepEqual(
      run('chain.count + 1 == 3 && ratio > 1.5', { chain: { count: 2 }, ratio: 2.5 }),
      {
        ok: true,
        value: true,
      },
    );
  });

  void it('lists the variables an expression reads, not the ones its macros bind', () => {
    const c = compileExpression("records.exists(r, r.stage == stage) && environment != ''");
    assert.deepEqual([...c.variables].sort(), ['environment', 'records', 'stage']);
  });

  void describe('when an expression cannot be a rule', () => {
    for (const [expression, fragment] of [
      ['size(x) > 3 &&', 'does not parse'],
      ['1 + 2', 'not a bool'],
      ["'PASSED'", 'not a bool'],
      ['{"a": true}', 'not a bool'],
      ['x ? 1 : 2', 'not a bool'],
      ['records.filter(r, r.ok)', 'not a bool'],
      ['frob(x)', 'unknown function frob'],
      ["x.matches('(a')", 'invalid RE2 pattern'],
      ["x.matches('(a)\\\\1')", 'invalid RE2 pattern'],
    ] as const) {
      void it(`refuses ${expression}`, () => {
        assert.throws(
          () => compileExpression(expression),
          (e: unknown) => e instanceof CelCompileError && e.message.includes(fragment),
        );
      });
    }
  });

  void describe('when evaluation goes wrong', () => {
    void it('reports a missing field as an error, not a value', () => {
      const r = run('evidence.missing.x == 1', { evidence: {} });
      assert.equal(r.ok, false);
    });

    void it('cannot reach prototype properties through a key', () => {
      for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const r = run(`has(input.${key})`, { input: {} });
        assert.deepEqual(r, { ok: true, value: false }, key);
      }
      const polluted = JSON.parse('{"input": {"__proto__": {"admin": true}}}') as Record<
        string,
        unknown
      >;
      assert.equal(run('input.admin == true', polluted).ok, false);
    });

    void it('stops a comprehension that would run for minutes at the time limit', () => {
      const l = Array.from({ length: 2000 }, (_, i) => i);
      const started = performance.now();
      const r = run('l.all(a, l.all(b, l.all(c, a + b + c >= 0)))', { l }, 100);
      assert.deepEqual(r, { ok: false, error: 'time limit exceeded', timedOut: true });
      assert.ok(performance.now() - started < 5000);
    });

    void it('stops nested comprehensions over list literals at the time limit', () => {
      // No input list is iterated, so only a check inside the loop itself can stop it (10^8 steps).
      const l = '[0,1,2,3,4,5,6,7,8,9]';
      let expression = 'true';
      for (const v of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])
        expression = `${l}.all(${v}, ${expression})`;
      const started = performance.now();
      const r = run(expression, {}, 100);
      assert.deepEqual(r, { ok: false, error: 'time limit exceeded', timedOut: true });
      assert.ok(performance.now() - started < 5000);
    });

    void it('stops a loop over a literal whose every step is slow at the time limit', () => {
      const items = Array.from({ length: 2000 }, (_, i) => i).join(',');
      const started = performance.now();
      const r = run(`[${items}].all(i, s.matches('^(a|c)*$'))`, { s: 'a'.repeat(100_000) }, 100);
      assert.deepEqual(r, { ok: false, error: 'time limit exceeded', timedOut: true });
      assert.ok(performance.now() - started < 5000);
    });

    void it('stops a comprehension over a large map at the time limit', () => {
      const m = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
      const r = run('m.all(a, m.all(b, m.all(c, a != "")))', { m }, 100);
      assert.equal(r.ok, false);
    });
  });
});

void describe('matches()', () => {
  void it('decides ^(a+)+$ over 5,000 characters in well under a second (RE2, no backtracking)', () => {
    const started = performance.now();
    const r = run("s.matches('^(a+)+$')", { s: `${'a'.repeat(5000)}!` });
    const elapsed = performance.now() - started;
    assert.deepEqual(r, { ok: true, value: false });
    assert.ok(elapsed < 1000, `${elapsed} ms`);
  });

  void it('compiles each pattern once', () => {
    assert.equal(compilePattern('^v[0-9]+$'), compilePattern('^v[0-9]+$'));
  });
});

void describe('celVariables', () => {
  const inputError = (fragment: string) => (e: unknown) =>
    e instanceof SathosError && e.code === 'POLICY_INPUT_INVALID' && e.message.includes(fragment);

  void it('refuses input nested deeper than the limit', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < INPUT_LIMITS.maxDepth + 1; i++) deep = [deep];
    assert.throws(() => celVariables({ deep }), inputError('deeper than'));
  });

  void it('refuses more values than the limit', () => {
    const wide = Array.from({ length: INPUT_LIMITS.maxNodes }, () => 1);
    assert.throws(() => celVariables({ wide }), inputError(`more than ${INPUT_LIMITS.maxNodes}`));
  });

  void it('refuses values JSON cannot hold', () => {
    assert.throws(() => celVariables({ when: new Date(0) }), inputError('not a plain JSON object'));
    assert.throws(() => celVariables({ n: Number.NaN }), inputError('not a finite number'));
  });

  void it('skips keys no rule could name', () => {
    assert.deepEqual([...celVariables({ 'not-an-id': 1, in: 2, ok: 3 }).names], ['ok']);
  });

  void describe('parseEvaluationInput', () => {
    void it('refuses text that is not a JSON object', () => {
      for (const text of ['[1]', '"x"', '{', 'null']) {
        assert.throws(() => parseEvaluationInput(text, 'input.json'), inputError('input'));
      }
    });

    void it('refuses input larger than the limit', () => {
      const text = `{"s": "${'x'.repeat(INPUT_LIMITS.maxBytes)}"}`;
      assert.throws(() => parseEvaluationInput(text, 'input.json'), inputError('larger than'));
    });
  });
});
