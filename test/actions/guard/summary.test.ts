// The job summary's table: one row per host and verdict, counted, and bounded (a job summary holds
// at most 1 MiB, and a step could try thousands of distinct hosts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anomalySettings, planStep, type EgressDecision } from '@sathos/core';
import { MAX_SUMMARY_ROWS, connectionRows } from '../../../actions/guard/src/summary.js';

const decided = (host: string, action: 'allow' | 'block'): EgressDecision => ({
  request: { host, port: 443, protocol: 'connect', at: 0 },
  verdict: { action, rule: action === 'allow' ? 'allowedHosts[0]' : 'default', reason: 'r' },
});

const plan = planStep(anomalySettings(undefined, { allowHosts: ['ok.example'] }, 'test'), {
  step: 's',
  runs: [{ at: 1, durationMs: 10, hosts: ['ok.example:443'] }],
});

void describe('the guard job summary', () => {
  void it('counts the requests of one host and verdict in one row, with what the baseline saw', () => {
    const rows = connectionRows(plan, [
      decided('ok.example', 'allow'),
      decided('OK.example.', 'allow'),
      decided('bad.example', 'block'),
    ]);
    assert.deepEqual(rows, [
      [
        'ok.example:443',
        'connect',
        '2',
        '✅ allow',
        'allowedHosts[0]',
        'seen in 1 of 1 runs (not known)',
      ],
      ['bad.example:443', 'connect', '1', '⛔ block', 'default', 'seen in 0 of 1 runs (not known)'],
    ]);
  });

  void it('says when the baseline knows a host (k of the last N runs)', () => {
    const known = planStep(anomalySettings(undefined, {}, 'test'), {
      step: 's',
      runs: Array.from({ length: 3 }, (_, i) => ({
        at: i,
        durationMs: 10,
        hosts: ['pkg.example:443'],
      })),
    });
    const [row] = connectionRows(known, [decided('pkg.example', 'allow')]);
    assert.equal(row?.[5], 'seen in 3 of 3 runs (known)');
  });

  void it('lists at most MAX_SUMMARY_ROWS hosts and counts the rest', () => {
    const flood = Array.from({ length: MAX_SUMMARY_ROWS + 50 }, (_, i) =>
      decided(`h${i}.example`, 'block'),
    );
    const rows = connectionRows(plan, flood);
    assert.equal(rows.length, MAX_SUMMARY_ROWS + 1);
    assert.match(rows.at(-1)?.[0] ?? '', /^… 50 more hosts/);
  });
});
