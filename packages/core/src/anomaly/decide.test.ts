import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../errors.js';
import type { AnomalyPolicy } from './settings.js';
import { anomalyProblems } from '../policy/document/anomaly.js';
import type { Baseline, BaselineRun } from './baseline.js';
import { emptyBaseline, learnRun } from './baseline.js';
import { egressDecider } from './decide.js';
import type { EgressAction, EgressDecision, EgressProtocol, EgressRequest } from './events.js';
import { anomalyObservation, runFindings } from './findings.js';
import { anomalySettings, planStep, type AnomalyRequest } from './plan.js';

const request = (
  host: string,
  port = 443,
  protocol: EgressProtocol = 'connect',
): EgressRequest => ({
  host,
  port,
  protocol,
  at: 0,
});

const decided = (host: string, port: number, action: EgressAction): EgressDecision => ({
  request: request(host, port),
  verdict: { action, rule: 'test', reason: `${action} ${host}` },
});

function settings(policy: AnomalyPolicy | undefined, req: AnomalyRequest = {}) {
  return anomalySettings(policy, req, 'policy.yaml');
}

function baselineOf(runs: readonly Partial<BaselineRun>[]): Baseline {
  return {
    step: 'build',
    runs: runs.map((r, i) => ({ at: i, durationMs: 10_000, hosts: [], ...r })),
  };
}

const TEN_RUNS = baselineOf(Array.from({ length: 10 }, () => ({ durationMs: 10_000 })));

void describe('anomalySettings', () => {
  void it('takes the policy, with defaults (block: deny by default)', () => {
    const s = settings({ allowedHosts: ['api.github.com'] });
    assert.equal(s.mode, 'block');
    assert.equal(s.durationRatio, 2);
    assert.equal(s.minRuns, 5);
    assert.deepEqual(s.knownAfter, { seen: 3, of: 10 });
    assert.equal(settings(undefined).mode, 'block');
  });

  void it('lets the caller make the mode stricter, never looser, and add no hosts to a policy', () => {
    assert.equal(settings({ mode: 'audit', allowedHosts: [] }, { mode: 'halt' }).mode, 'halt');
    const usage = (e: unknown) => e instanceof SathosError && e.code === 'USAGE';
    assert.throws(() => settings({ mode: 'halt', allowedHosts: [] }, { mode: 'audit' }), usage);
    assert.throws(() => settings({ allowedHosts: [] }, { mode: 'audit' }), usage, 'default block');
    assert.throws(() => settings({ allowedHosts: [] }, { allowHosts: ['evil.example'] }), usage);
    assert.equal(settings(undefined, { allowHosts: ['a.example'] }).allowedHosts.length, 1);
  });

  void it('refuses an allowedHosts entry that is not a plain pattern (fail closed)', () => {
    for (const bad of ['*', '*.127.0.0.1', 'a.example:0', 'a.example:65536', 'http://a.example'])
      assert.throws(
        () => settings(undefined, { allowHosts: [bad] }),
        (e: unknown) => e instanceof SathosError && e.code === 'POLICY_INVALID',
        bad,
      );
  });
});

void describe('the policy section', () => {
  void it('accepts minRuns and knownAfter, and refuses bad ones and out-of-range ports', () => {
    assert.deepEqual(
      anomalyProblems({ allowedHosts: [], minRuns: 3, knownAfter: { seen: 2, of: 5 } }),
      [],
    );
    const messages = anomalyProblems({
      allowedHosts: ['a.example:99999'],
      minRuns: 0,
      knownAfter: { seen: 6, of: 5, extra: 1 },
    }).map((p) => p.message);
    assert.equal(messages.length, 4, messages.join('\n'));
    assert.ok(messages.some((m) => m.includes('1 to 65535')));
    assert.ok(messages.some((m) => m.includes('minRuns')));
    assert.ok(messages.some((m) => m.includes('seen ≤ of')));
  });
});

void describe('the egress decision', () => {
  const policy: AnomalyPolicy = {
    mode: 'block',
    allowedHosts: ['api.github.com', '*.example.com:443', '10.0.0.1', '[::1]:8080'],
  };

  void it('allows allowedHosts: host (any port), *.domain (subdomains only), [ip], :port', () => {
    const decide = egressDecider(planStep(settings(policy), emptyBaseline('build')));
    const verdict = (host: string, port = 443, protocol: EgressProtocol = 'connect') =>
      decide(request(host, port, protocol));
    assert.equal(verdict('api.github.com', 22).rule, 'allowedHosts[0]');
    assert.equal(verdict('API.GitHub.COM.').action, 'allow');
    assert.equal(verdict('a.b.example.com').rule, 'allowedHosts[1]');
    assert.equal(verdict('a.example.com', 80).action, 'block', 'the pattern names port 443');
    assert.equal(
      verdict('a.example.com', 53, 'dns').action,
      'allow',
      'a lookup of an allowed name',
    );
    assert.equal(verdict('example.com').action, 'block', '*.example.com is not example.com');
    assert.equal(verdict('evilexample.com').action, 'block');
    assert.equal(verdict('example.com.evil.net').action, 'block');
    assert.equal(verdict('10.0.0.1', 5432).action, 'allow');
    assert.equal(verdict('10.1', 5432).action, 'allow', 'the same address spelled short');
    assert.equal(verdict('0:0::1', 8080).rule, 'allowedHosts[3]');
    assert.equal(verdict('::1', 8081).action, 'block');
  });

  void it('decides a request it cannot read like any unknown host, and never throws', () => {
    const decide = egressDecider(planStep(settings(policy), emptyBaseline('build')));
    for (const host of ['', '*', 'api.github.com\u0000', 'fe80::1%eth0', 'a'.repeat(300)])
      assert.equal(decide(request(host)).action, 'block', JSON.stringify(host));
    assert.equal(decide(request('api.github.com', 0)).action, 'block');
    assert.equal(decide(request('api.github.com', Number.NaN)).action, 'block');
    const hostile = { host: 42, port: 443, protocol: 'connect', at: 0 } as unknown as EgressRequest;
    assert.equal(decide(hostile).action, 'block');
  });

  void it('quotes a hostile host in its reason and finding: no line of its own reaches a log', () => {
    const plan = planStep(settings({ mode: 'audit', allowedHosts: [] }), emptyBaseline('s'));
    const forged = 'x\n::error::forged verdict';
    const verdict = egressDecider(plan)(request(forged));
    assert.doesNotMatch(verdict.reason, /\n/);
    assert.match(verdict.reason, /^"x\\n::error::forged verdict" port 443/);
    const findings = runFindings(plan, {
      exitCode: 0,
      halted: false,
      durationMs: 1,
      decisions: [{ request: request(forged), verdict }],
    });
    assert.deepEqual(
      findings.map((f) => ('host' in f ? f.host : '')),
      ['"x\\n::error::forged verdict":443'],
    );
  });

  void it('acts on unknown hosts per mode: audit, block or halt', () => {
    for (const mode of ['audit', 'block', 'halt'] as const) {
      const decide = egressDecider(planStep(settings({ ...policy, mode }), TEN_RUNS));
      const verdict = decide(request('exfil.example.net'));
      assert.equal(verdict.action, mode);
      assert.equal(verdict.rule, 'default');
    }
  });

  void it('allows a host the baseline saw in k of the last N runs, and no other', () => {
    const runs = (hosts: string[], n: number) => Array.from({ length: n }, () => ({ hosts }));
    const baseline = baselineOf([
      ...runs(['old.example:443'], 5),
      ...runs(['pkg.example:443', 'rare.example:443'], 2),
      ...runs(['pkg.example:443'], 8),
    ]);
    const plan = planStep(
      settings({ allowedHosts: [], knownAfter: { seen: 3, of: 10 } }),
      baseline,
    );
    const decide = egressDecider(plan);
    assert.deepEqual(decide(request('pkg.example')), {
      action: 'allow',
      rule: 'baseline: seen in 10 of 10 runs',
      reason: "pkg.example:443 is known from the step's baseline",
    });
    assert.equal(decide(request('pkg.example', 80)).action, 'block', 'known on 443 only');
    assert.equal(decide(request('pkg.example', 53, 'dns')).action, 'allow');
    assert.equal(decide(request('rare.example')).action, 'block', 'seen 2 times: not known');
    assert.equal(decide(request('old.example')).action, 'block', 'aged out of the window');
  });

  void it('only audits a known host when the baseline is not trusted to widen egress', () => {
    const baseline = baselineOf(Array.from({ length: 5 }, () => ({ hosts: ['pkg.example:443'] })));
    const plan = planStep(settings({ allowedHosts: [] }), baseline, undefined, {
      knownHostAction: 'audit',
    });
    const verdict = egressDecider(plan)(request('pkg.example'));
    assert.equal(verdict.action, 'audit');
    assert.match(verdict.reason, /cannot trust/);
  });

  void it('learns nothing from one poisoned run: a host needs k runs', () => {
    let baseline = emptyBaseline('build');
    const learn = (decisions: EgressDecision[]) => {
      const result = learnRun(baseline, {
        exitCode: 0,
        halted: false,
        durationMs: 10_000,
        decisions,
        at: 0,
      });
      assert.ok(result.learned);
      baseline = result.baseline;
    };
    for (let i = 0; i < 9; i++) learn([decided('pkg.example', 443, 'allow')]);
    learn([decided('pkg.example', 443, 'allow'), decided('attacker.example', 443, 'audit')]);
    const decide = egressDecider(planStep(settings({ allowedHosts: [] }), baseline));
    assert.equal(decide(request('attacker.example')).action, 'block');
    assert.equal(decide(request('pkg.example')).action, 'allow');
  });
});

void describe('the deadline and the issue check', () => {
  // A baseline built from ten runs of a step: an eleventh that takes three times as long is halted
  // under `halt`, recorded under `audit`.
  const eleventh = (mode: 'audit' | 'halt', halted: boolean) => {
    const plan = planStep(settings({ mode, allowedHosts: [] }), TEN_RUNS);
    return {
      plan,
      run: { exitCode: halted ? null : 0, halted, durationMs: 30_000, decisions: [] },
    };
  };

  void it('under halt: the supervisor gets the baseline deadline, and the halt is a finding', () => {
    const { plan } = eleventh('halt', true);
    assert.equal(plan.learning, false);
    assert.deepEqual(plan.deadline, { ms: 20_000, source: 'baseline' });
    const { run } = eleventh('halt', true);
    const halted = { ...run, durationMs: 20_050 };
    const findings = runFindings(plan, halted);
    assert.equal(findings.length, 1);
    assert.deepEqual(
      { ...findings[0], reason: undefined },
      {
        kind: 'slow-step',
        durationMs: 20_050,
        deadlineMs: 20_000,
        source: 'baseline',
        halted: true,
        medianMs: 10_000,
        reason: undefined,
      },
    );
  });

  void it('under audit: nothing is enforced, and the slow run is recorded', () => {
    const { plan, run } = eleventh('audit', false);
    assert.equal(plan.deadline, undefined);
    assert.equal(plan.baselineDeadlineMs, 20_000);
    const observation = anomalyObservation(plan, run, 'sha256:ab');
    assert.equal(observation.findings.length, 1);
    const [slow] = observation.findings;
    assert.ok(slow?.kind === 'slow-step' && !slow.halted);
    assert.deepEqual(observation.baseline, {
      runs: 10,
      learning: false,
      medianMs: 10_000,
      deadlineMs: 20_000,
      knownHosts: 0,
      digest: 'sha256:ab',
    });
  });

  void it('an eleventh run within the deadline has no finding', () => {
    const { plan } = eleventh('halt', false);
    assert.deepEqual(
      runFindings(plan, { exitCode: 0, halted: false, durationMs: 12_000, decisions: [] }),
      [],
    );
  });

  void it('below minRuns the baseline only records: no deadline, whatever the mode', () => {
    const plan = planStep(settings({ mode: 'halt', allowedHosts: [], minRuns: 11 }), TEN_RUNS);
    assert.equal(plan.learning, true);
    assert.equal(plan.deadline, undefined);
    assert.equal(plan.baselineDeadlineMs, undefined);
  });

  void it('--max-duration bounds the step in every mode, and the tighter bound wins', () => {
    const audit = planStep(settings({ mode: 'audit', allowedHosts: [] }), TEN_RUNS, 5_000);
    assert.deepEqual(audit.deadline, { ms: 5_000, source: 'max-duration' });
    const halt = planStep(settings({ mode: 'halt', allowedHosts: [] }), TEN_RUNS, 60_000);
    assert.deepEqual(halt.deadline, { ms: 20_000, source: 'baseline' });
    const fresh = planStep(settings(undefined), emptyBaseline('s'), 2_000);
    const findings = runFindings(fresh, {
      exitCode: null,
      halted: true,
      durationMs: 2_010,
      decisions: [],
    });
    assert.equal(findings[0]?.kind === 'slow-step' && findings[0].source, 'max-duration');
  });

  void it('a baseline of zero-length or hostile durations cannot widen the deadline past ratio × slowest', () => {
    const tiny = planStep(
      settings({ mode: 'halt', allowedHosts: [] }),
      baselineOf(Array.from({ length: 10 }, () => ({ durationMs: 1 }))),
    );
    assert.deepEqual(tiny.deadline, { ms: 1000, source: 'baseline' });
  });
});

void describe('host findings', () => {
  void it('groups requests by host and what was done, with counts', () => {
    const plan = planStep(settings({ mode: 'audit', allowedHosts: [] }), emptyBaseline('s'));
    const findings = runFindings(plan, {
      exitCode: 0,
      halted: false,
      durationMs: 10,
      decisions: [
        decided('ok.example', 443, 'allow'),
        decided('new.example', 443, 'audit'),
        decided('NEW.example', 443, 'audit'),
        decided('bad.example', 443, 'block'),
        decided('worse.example', 443, 'halt'),
      ],
    });
    assert.deepEqual(
      findings.map((f) => ('host' in f ? [f.kind, f.host, f.count] : f.kind)),
      [
        ['unknown-host', 'new.example:443', 2],
        ['blocked-host', 'bad.example:443', 1],
        ['halted-host', 'worse.example:443', 1],
      ],
    );
  });

  void it('names a supervisor failure, and trusts the halt cause over the decisions', () => {
    const plan = planStep(settings({ mode: 'halt', allowedHosts: [] }), TEN_RUNS);
    const run = { exitCode: null, halted: true, durationMs: 25_000, decisions: [] };
    assert.deepEqual(
      runFindings(plan, {
        ...run,
        durationMs: 100,
        haltCause: 'supervisor',
        haltReason: 'gateway died',
      }).map((f) => [f.kind, f.reason]),
      [['supervisor-halt', 'gateway died']],
    );
    const slow = runFindings(plan, { ...run, haltCause: 'deadline' });
    assert.ok(slow[0]?.kind === 'slow-step' && slow[0].halted);
  });

  void it('a step halted for a host is not reported as slow', () => {
    const plan = planStep(settings({ mode: 'halt', allowedHosts: [] }), TEN_RUNS);
    const findings = runFindings(plan, {
      exitCode: null,
      halted: true,
      durationMs: 100,
      decisions: [decided('worse.example', 443, 'halt')],
    });
    assert.deepEqual(
      findings.map((f) => f.kind),
      ['halted-host'],
    );
  });
});
