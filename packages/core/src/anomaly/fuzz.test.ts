// Properties over arbitrary input: a hostile baseline is refused with BASELINE_INVALID or read, never
// a crash; the decider never throws and allows only what a policy pattern or k runs of the baseline
// vouch for; host spellings reduce to one canonical form.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SathosError } from '../errors.js';
import { BASELINE_FORMAT, learnRun, parseBaseline, type Baseline } from './baseline.js';
import { egressDecider } from './decide.js';
import type { EgressAction, EgressDecision, EgressProtocol } from './events.js';
import { canonicalHost, patternCovers } from './hosts.js';
import { anomalySettings, planStep } from './plan.js';

const hostish = fc.oneof(
  fc.constantFrom('*', '*.example.com', 'Example.COM', 'a..b', '[::1]', '::1', '10.1', ''),
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.string(),
);

const verdictOn = (host: string, action: EgressAction): EgressDecision => ({
  request: { host, port: 443, protocol: 'connect', at: 0 },
  verdict: { action, rule: 'fuzz', reason: 'fuzz' },
});

const runLike = fc.record(
  {
    at: fc.oneof(fc.integer(), fc.double(), fc.string()),
    durationMs: fc.oneof(fc.integer({ min: -5, max: 10_000 }), fc.double(), fc.constant(null)),
    hosts: fc.array(
      fc.oneof(
        hostish,
        fc.tuple(hostish, fc.integer()).map(([h, p]) => `${h}:${p}`),
      ),
    ),
    source: fc.oneof(fc.string(), fc.integer()),
  },
  { requiredKeys: [] },
);

void describe('fuzzing the anomaly layer', () => {
  void it('parseBaseline reads or refuses with BASELINE_INVALID, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.record({
            format: fc.constant(BASELINE_FORMAT),
            step: fc.string(),
            runs: fc.array(runLike),
          }),
          fc.record({
            format: fc.constant(BASELINE_FORMAT),
            step: fc.constant('s'),
            runs: fc.array(runLike),
          }),
        ),
        (value) => {
          const text = typeof value === 'string' ? value : JSON.stringify(value);
          try {
            const baseline = parseBaseline(text, 'fuzz');
            // What was read holds only concrete hosts and positive durations.
            for (const run of baseline.runs) {
              assert.ok(Number.isSafeInteger(run.durationMs) && run.durationMs >= 1);
              for (const host of run.hosts ?? []) assert.ok(!host.includes('*'));
            }
          } catch (error) {
            assert.ok(
              error instanceof SathosError && error.code === 'BASELINE_INVALID',
              String(error),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  void it('the decider never throws, and with nothing allowed or known it allows nothing', () => {
    const plan = planStep(anomalySettings(undefined, { mode: 'block' }, 'fuzz'), {
      step: 's',
      runs: [],
    });
    const decide = egressDecider(plan);
    fc.assert(
      fc.property(
        hostish,
        fc.oneof(fc.integer(), fc.double()),
        fc.constantFrom<EgressProtocol>('connect', 'http', 'dns'),
        (host, port, protocol) => {
          const verdict = decide({ host, port, protocol, at: 0 });
          assert.equal(verdict.action, 'block');
        },
      ),
      { numRuns: 1000 },
    );
  });

  void it('a pattern allows exactly its host, whatever the spelling of the request', () => {
    fc.assert(
      fc.property(
        fc.domain(),
        fc.domain(),
        fc.integer({ min: 1, max: 65535 }),
        (allowed, other, port) => {
          const host = canonicalHost(allowed);
          if (host === undefined) return;
          const plan = planStep(anomalySettings(undefined, { allowHosts: [host] }, 'fuzz'), {
            step: 's',
            runs: [],
          });
          const decide = egressDecider(plan);
          const spelled = `${allowed.toUpperCase()}.`;
          assert.equal(decide({ host: spelled, port, protocol: 'connect', at: 0 }).action, 'allow');
          const otherHost = canonicalHost(other);
          const expected = otherHost === host ? 'allow' : 'block';
          assert.equal(decide({ host: other, port, protocol: 'connect', at: 0 }).action, expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  void it('a host is known exactly when k of the last N learned runs reached it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ evil: fc.boolean(), refused: fc.boolean() }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 5, max: 12 }),
        (runs, seen, of) => {
          let baseline: Baseline = { step: 's', runs: [] };
          const learned: boolean[] = [];
          for (const run of runs) {
            const decisions: EgressDecision[] = [
              ...(run.evil ? [verdictOn('evil.example', 'audit')] : []),
              ...(run.refused ? [verdictOn('other.example', 'block')] : []),
            ];
            const result = learnRun(baseline, {
              exitCode: 0,
              halted: false,
              durationMs: 1000,
              decisions,
              at: 0,
            });
            assert.equal(result.learned, !run.refused, 'a run with a refusal is never learned');
            if (result.learned) {
              baseline = result.baseline;
              learned.push(run.evil);
            }
          }
          const window = learned.slice(-of);
          const expected = window.filter(Boolean).length >= seen ? 'allow' : 'block';
          const plan = planStep(
            anomalySettings({ allowedHosts: [], knownAfter: { seen, of } }, {}, 'fuzz'),
            baseline,
          );
          const verdict = egressDecider(plan)({
            host: 'evil.example',
            port: 443,
            protocol: 'connect',
            at: 0,
          });
          assert.equal(verdict.action, expected);
          assert.equal(
            egressDecider(plan)({ host: 'other.example', port: 443, protocol: 'connect', at: 0 })
              .action,
            'block',
            'a refused host is never learned',
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  void it('the indexed decision names the first covering pattern, as a scan of all would', () => {
    const names = ['example', 'a.example', 'b.a.example', 'x.b.a.example', 'other', '10.0.0.1'];
    const pattern = fc
      .tuple(fc.boolean(), fc.constantFrom(...names), fc.constantFrom('', ':443', ':80'))
      .filter(([wild, name]) => !(wild && name === '10.0.0.1'))
      .map(([wild, name, port]) => `${wild ? '*.' : ''}${name}${port}`);
    fc.assert(
      fc.property(
        fc.array(pattern, { maxLength: 12 }),
        fc.constantFrom(...names),
        fc.constantFrom(443, 80, 22),
        fc.constantFrom<EgressProtocol>('connect', 'dns'),
        (patterns, host, port, protocol) => {
          const settings = anomalySettings(undefined, { allowHosts: patterns }, 'fuzz');
          const request = { host, port, protocol, at: 0 };
          const scanned = settings.allowedHosts.findIndex((p) =>
            patternCovers(p, canonicalHost(host) ?? '', request),
          );
          const verdict = egressDecider(planStep(settings, { step: 's', runs: [] }))(request);
          assert.equal(verdict.rule, scanned < 0 ? 'default' : `allowedHosts[${scanned}]`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  void it('canonicalHost is idempotent and never yields a wildcard', () => {
    fc.assert(
      fc.property(hostish, (host) => {
        const once = canonicalHost(host);
        if (once === undefined) return;
        assert.equal(canonicalHost(once), once);
        assert.ok(!once.includes('*') && !once.includes('/') && once === once.toLowerCase());
      }),
      { numRuns: 1000 },
    );
  });
});
