import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../errors.js';
import {
  BASELINE_FORMAT,
  BASELINE_LIMITS,
  emptyBaseline,
  hostCounts,
  learnRun,
  parseBaseline,
  reachedHosts,
  serializeBaseline,
  type Baseline,
  type RunOutcome,
} from './baseline.js';
import type { EgressAction, EgressDecision, EgressProtocol } from './events.js';

export function decision(
  host: string,
  port: number,
  action: EgressAction = 'allow',
  protocol: EgressProtocol = 'connect',
): EgressDecision {
  return {
    request: { host, port, protocol, at: 0 },
    verdict: { action, rule: 'test', reason: 'test' },
  };
}

function outcome(overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    exitCode: 0,
    halted: false,
    durationMs: 1234.4,
    decisions: [decision('api.github.com', 443)],
    at: 1_700_000_000_000,
    ...overrides,
  };
}

const doc = (runs: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ format: BASELINE_FORMAT, step: 'build', runs, ...extra });

const rejects = (text: string | Uint8Array, pattern: RegExp): void => {
  assert.throws(
    () => parseBaseline(text, 'baseline.json'),
    (e: unknown) =>
      e instanceof SathosError &&
      e.code === 'BASELINE_INVALID' &&
      e.isUsage &&
      pattern.test(e.line) &&
      /start a fresh baseline/.test(e.line),
  );
};

void describe('the baseline file', () => {
  void it('round-trips through serializeBaseline and parseBaseline', () => {
    const baseline: Baseline = {
      step: 'build',
      runs: [
        { at: 1, durationMs: 10, hosts: ['[::1]:8080', 'api.github.com:443', 'example.com'] },
        { at: 2, durationMs: 20, source: 'github:run/1/job/2' },
      ],
    };
    const text = serializeBaseline(baseline);
    assert.deepEqual(parseBaseline(text, 'b'), baseline);
    assert.deepEqual(parseBaseline(new TextEncoder().encode(text), 'b'), baseline);
    assert.deepEqual(parseBaseline(serializeBaseline(emptyBaseline('x')), 'b'), emptyBaseline('x'));
  });

  void describe('refuses a hostile or corrupt file whole, naming the problem', () => {
    void it('a wildcard or pattern host (a baseline holds only hosts seen)', () => {
      rejects(doc([{ at: 1, durationMs: 10, hosts: ['*'] }]), /runs\[0\]\.hosts\[0\]/);
      rejects(doc([{ at: 1, durationMs: 10, hosts: ['*.example.com:443'] }]), /no patterns/);
      rejects(doc([{ at: 1, durationMs: 10, hosts: ['example.com:0'] }]), /no patterns/);
      rejects(doc([{ at: 1, durationMs: 10, hosts: ['example.com:70000'] }]), /no patterns/);
      rejects(doc([{ at: 1, durationMs: 10, hosts: ['Example.com:443'] }]), /canonical/);
      rejects(doc([{ at: 1, durationMs: 10, hosts: ['example.com:443/x'] }]), /canonical/);
    });

    void it('a host listed twice in one run (it would count twice towards knownAfter)', () => {
      rejects(
        doc([{ at: 1, durationMs: 10, hosts: ['a.example:443', 'a.example:443'] }]),
        /repeats/,
      );
    });

    void it('zero, negative, fractional or absurd durations', () => {
      for (const durationMs of [0, -1, 1.5, BASELINE_LIMITS.maxDurationMs + 1, '10', null])
        rejects(doc([{ at: 1, durationMs }]), /durationMs/);
    });

    void it('more runs or hosts than kept, unknown fields, another format, not JSON, too big', () => {
      const run = { at: 1, durationMs: 10 };
      rejects(doc(Array.from({ length: BASELINE_LIMITS.maxRuns + 1 }, () => run)), /more than/);
      const many = Array.from({ length: BASELINE_LIMITS.maxHostsPerRun + 1 }, (_, i) => `h${i}:1`);
      rejects(doc([{ ...run, hosts: many }]), /more than/);
      rejects(doc([{ ...run, allowedHosts: ['*'] }]), /allowedHosts is not a known field/);
      rejects(doc([run], { allowedHosts: ['*'] }), /allowedHosts is not a known field/);
      rejects(doc([run], { format: 'https://sathos.dev/anomaly/baseline/v2' }), /format/);
      rejects(doc([run], { step: '../etc' }), /step/);
      rejects('{"format": ', /not UTF-8 JSON/);
      rejects(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), /not UTF-8 JSON/);
      rejects('[]', /JSON object/);
      rejects(' '.repeat(BASELINE_LIMITS.maxBytes + 1), /larger than/);
    });
  });
});

void describe('learnRun: what a baseline learns from', () => {
  const base = emptyBaseline('build');

  void it('learns a successful run: its rounded duration and the hosts it reached', () => {
    const result = learnRun(
      base,
      outcome({
        decisions: [
          decision('API.GitHub.com.', 443),
          decision('api.github.com', 443),
          decision('registry.example', 443, 'audit'),
          decision('registry.example', 0, 'allow', 'dns'),
          decision('::1', 8080),
        ],
      }),
    );
    assert.ok(result.learned);
    assert.deepEqual(result.run, {
      at: 1_700_000_000_000,
      durationMs: 1234,
      hosts: ['[::1]:8080', 'api.github.com:443', 'registry.example', 'registry.example:443'],
    });
    assert.equal(result.baseline.runs.length, 1);
  });

  void it('refuses a run that failed, was halted, had a connection refused or is not vouched for', () => {
    const cases: [Partial<RunOutcome>, RegExp][] = [
      [{ exitCode: 1 }, /exited with 1/],
      [{ exitCode: null, halted: true }, /halted/],
      [{ decisions: [decision('evil.example', 443, 'block')] }, /1 connection\(s\) were refused/],
      [{ decisions: [decision('evil.example', 443, 'halt')] }, /refused/],
      [{ trusted: false }, /not verified and allowed/],
      [{ decisionsDropped: 3 }, /3 decisions were not logged/],
      [{ durationMs: BASELINE_LIMITS.maxDurationMs + 1 }, /duration/],
    ];
    for (const [overrides, reason] of cases) {
      const result = learnRun(base, outcome(overrides));
      assert.ok(!result.learned);
      assert.match(result.reason, reason);
    }
  });

  void it('refuses a run that reached more distinct hosts than a run may hold', () => {
    const decisions = Array.from({ length: BASELINE_LIMITS.maxHostsPerRun + 1 }, (_, i) =>
      decision(`h${i}.example`, 443),
    );
    const result = learnRun(base, outcome({ decisions }));
    assert.equal(result.learned, false);
  });

  void it('ages old runs out: only the newest maxRuns are kept', () => {
    let baseline = base;
    for (let i = 0; i < BASELINE_LIMITS.maxRuns + 5; i++) {
      const result = learnRun(baseline, outcome({ at: i, durationMs: 100 + i }));
      assert.ok(result.learned);
      baseline = result.baseline;
    }
    assert.equal(baseline.runs.length, BASELINE_LIMITS.maxRuns);
    assert.equal(baseline.runs[0]?.at, 5);
    assert.equal(baseline.runs.at(-1)?.at, BASELINE_LIMITS.maxRuns + 4);
  });

  void it('records only what the supervisor let through, never what it refused', () => {
    assert.deepEqual(
      reachedHosts([
        decision('ok.example', 443),
        decision('bad.example', 443, 'block'),
        decision('*', 443),
        decision('x.example', 0),
      ]),
      ['ok.example:443'],
    );
  });
});

void describe('hostCounts', () => {
  void it('counts each host once per run over the last N runs that observed hosts', () => {
    const baseline: Baseline = {
      step: 's',
      runs: [
        { at: 1, durationMs: 1, hosts: ['old.example:443'] },
        { at: 2, durationMs: 1, hosts: ['a.example:443'] },
        { at: 3, durationMs: 1 },
        { at: 4, durationMs: 1, hosts: ['a.example:443', 'b.example:443'] },
      ],
    };
    const { runs, counts } = hostCounts(baseline, 2);
    assert.equal(runs, 2);
    assert.deepEqual(
      [...counts],
      [
        ['a.example:443', 2],
        ['b.example:443', 1],
      ],
    );
  });
});
