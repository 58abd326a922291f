import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { measure, median, ratio } from './lib.js';

void describe('bench harness', () => {
  void describe('when measuring a synchronous function', () => {
    void it('times at least minIterations calls after a warm-up', async () => {
      let calls = 0;
      const result = await measure(
        () => {
          calls++;
        },
        { minIterations: 50, minMillis: 5 },
      );
      assert.ok(result.iterations >= 50);
      assert.ok(calls > result.iterations, 'warm-up calls come on top of timed calls');
      assert.ok(Number.isFinite(result.medianNs) && result.medianNs > 0);
      assert.ok(Number.isFinite(result.meanNs) && result.meanNs > 0);
    });
  });

  void describe('when measuring an asynchronous function', () => {
    void it('awaits each call, so the time includes the awaited work', async () => {
      const result = await measure(() => sleep(2), { minIterations: 3, minMillis: 1 });
      assert.ok(result.medianNs >= 1_000_000, `median ${result.medianNs} ns is under 1 ms`);
      assert.ok(result.iterations >= 3);
    });
  });

  void describe('when the function throws', () => {
    void it('fails the measurement instead of timing the error path', async () => {
      await assert.rejects(
        measure(() => {
          throw new Error('boom');
        }),
        { message: 'boom' },
      );
      await assert.rejects(
        measure(() => Promise.reject(new Error('async boom'))),
        {
          message: 'async boom',
        },
      );
    });
  });

  void describe('when the options are not positive integers', () => {
    for (const options of [{ minIterations: 0 }, { minMillis: -1 }, { minIterations: 1.5 }]) {
      void it(`rejects ${JSON.stringify(options)}`, async () => {
        await assert.rejects(
          measure(() => undefined, options),
          RangeError,
        );
      });
    }
  });

  void describe('median and ratio', () => {
    void it('take the middle value and divide medians', () => {
      assert.equal(median([5, 1, 3]), 3);
      assert.equal(median([4, 1, 3, 2]), 2.5);
      const m = (medianNs: number) => ({ medianNs, meanNs: medianNs, iterations: 1 });
      assert.equal(ratio(m(300), m(200)), 1.5);
    });
  });
});
