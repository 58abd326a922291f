import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAD_SCALE,
  baselineDeadlineMs,
  durationStats,
  median,
  medianAbsoluteDeviation,
} from './statistics.js';

const RULE = { ratio: 2, z: 4, minMs: 1000 };

void describe('median and MAD', () => {
  void it('take the middle value, or the mean of the middle two', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  void it('are not moved far by a minority of outliers', () => {
    const steady = [10, 11, 9, 10, 10, 12, 8];
    const poisoned = [...steady, 1e9, 1e9, 1e9];
    assert.equal(median(steady), 10);
    assert.ok(median(poisoned) <= 11);
    assert.equal(medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9]), 1);
  });
});

void describe('durationStats', () => {
  void it('works in log space: the median of durations is exp(median of logs)', () => {
    const stats = durationStats([1000, 2000, 4000]);
    assert.ok(stats !== undefined);
    assert.ok(Math.abs(stats.medianMs - 2000) < 1e-6);
    assert.ok(Math.abs(stats.logMad - Math.log(2)) < 1e-9);
    assert.equal(stats.slowestMs, 4000);
  });

  void it('ignores durations that are not positive and finite, and is undefined without any', () => {
    assert.equal(durationStats([0, -5, Number.NaN, Infinity]), undefined);
    assert.equal(durationStats([0, 1000])?.runs, 1);
  });
});

void describe('baselineDeadlineMs', () => {
  void it('gives a steady step ratio × its median', () => {
    const stats = durationStats(Array.from({ length: 10 }, () => 10_000));
    assert.ok(stats !== undefined);
    assert.equal(baselineDeadlineMs(stats, RULE), 20_000);
  });

  void it('gives a noisy step exp(median + z·1.4826·MAD), up to ratio × its slowest run', () => {
    const durations = [5_000, 8_000, 10_000, 12_000, 20_000, 10_000, 9_000, 11_000, 30_000];
    const stats = durationStats(durations);
    assert.ok(stats !== undefined);
    const statistical = Math.exp(Math.log(stats.medianMs) + 4 * MAD_SCALE * stats.logMad);
    assert.ok(statistical > 2 * stats.medianMs, 'the spread matters for this baseline');
    assert.equal(
      baselineDeadlineMs(stats, RULE),
      Math.ceil(Math.min(statistical, 2 * stats.slowestMs)),
    );
    const wild = durationStats([1_000, 100_000, 1_000, 100_000, 1_000, 100_000]);
    assert.ok(wild !== undefined);
    assert.equal(baselineDeadlineMs(wild, RULE), 200_000, 'capped at ratio × slowest');
  });

  void it('never goes below the minimum, however short the learned runs', () => {
    const stats = durationStats([1, 1, 1, 1, 1]);
    assert.ok(stats !== undefined);
    assert.equal(baselineDeadlineMs(stats, RULE), 1000);
  });
});
