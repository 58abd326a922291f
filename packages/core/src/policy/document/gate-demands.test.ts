// The gate's demands in a policy's environments: every malformed field is refused at load with its
// position (a window that can never open, a freeze without an offset, a time zone that does not
// exist), and the checks read the recorded time in the policy's time zone, across daylight saving.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { celVariables } from '../cel/values.js';
import { evaluatePolicy } from '../evaluate/evaluate.js';
import { localTime, outsideWindows } from '../evaluate/gate-checks.js';
import { parsePolicy } from './document.js';
import { PolicyInvalidError } from './problem.js';

const KEY_ID = `sha256:${'d'.repeat(64)}`;

function policy(environments: string): ReturnType<typeof parsePolicy> {
  return parsePolicy(
    `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, decision, deploy]
identities:
  source: [{ keyId: "${KEY_ID}" }]
  decision: [{ keyId: "${KEY_ID}" }]
  deploy: [{ keyId: "${KEY_ID}" }]
environments:
${environments}`,
    'policy.yaml',
  );
}

function problems(environments: string): string[] {
  try {
    policy(environments);
  } catch (error) {
    assert.ok(error instanceof PolicyInvalidError, String(error));
    return error.problems.map((p) => `${p.line ?? 0}: ${p.message}`);
  }
  assert.fail('the policy loaded');
}

const PROD = policy(`  production:
    changeWindows:
      timeZone: America/New_York
      allow:
        - { days: [mon, tue, wed, thu, fri], hours: "09:00-17:00" }
      freezes:
        - { from: "2026-11-26T00:00:00-05:00", until: "2026-11-27T00:00:00-05:00", reason: thanksgiving }
    approvals: { required: 2, from: [alice, Bob] }
    anomalies: allow
`);

function decide(observations: Record<string, unknown>, records: unknown[] = []) {
  return evaluatePolicy(PROD, {
    stage: 'decision',
    environment: 'production',
    variables: celVariables({ observations, records, chain: { records } }),
  });
}
const failed = (d: ReturnType<typeof decide>) =>
  d.results.filter((r) => !r.passed).map((r) => `${r.id}: ${r.error ?? ''}`);

void describe('environments: the gate demands', () => {
  void it('refuses each malformed field, all at once, at its line', () => {
    const found = problems(`  production:
    changeWindows:
      timeZone: Mars/Olympus
      allow:
        - { days: [mon, funday], hours: "22:00-02:00" }
        - { days: [tue], hours: "9-5" }
      freezes:
        - { from: "2026-12-20", until: "2026-12-19T00:00:00Z" }
        - { from: "2026-12-21T00:00:00Z", until: "2026-12-20T00:00:00Z", why: x }
    approvals: { required: 0, from: ["not a login"] }
    anomalies: maybe
  staging:
    changeWindows: { allow: [] }
`);
    const expected = [
      /^11: .*timeZone must be an IANA time zone/,
      /^13: .*days\[1\] "funday"/,
      /^13: .*hours must be "HH:MM-HH:MM" with the end after the start/,
      /^14: .*allow\[1\]\.hours/,
      /^16: .*freezes\[0\]\.from must be an RFC 3339 time with an offset/,
      /^17: .*freezes\[1\]\.why is not a known field/,
      /^17: .*freezes\[1\]\.until must be after from/,
      /^18: .*approvals\.required must be a whole number/,
      /^18: .*approvals\.from\[0\] "not a login"/,
      /^19: .*anomalies must be deny or allow/,
      /^21: .*changeWindows\.allow is empty/,
    ];
    for (const pattern of expected)
      assert.ok(
        found.some((p) => pattern.test(p)),
        `${String(pattern)} not in\n${found.join('\n')}`,
      );
  });

  void it('reads the demands of a valid environment; anomalies deny unless the policy says allow', () => {
    const production = PROD.environments.production;
    assert.ok(production !== undefined);
    const { gate } = production;
    const windows = gate.changeWindows;
    assert.ok(windows !== undefined);
    assert.equal(windows.timeZone, 'America/New_York');
    assert.equal(windows.allow?.[0]?.startMinute, 9 * 60);
    assert.deepEqual(gate.approvals, { required: 2, from: ['alice', 'Bob'] });
    assert.equal(gate.anomalies, 'allow');
    assert.equal(policy('  staging:\n').environments.staging?.gate.anomalies, 'deny');
  });

  void it('reads the hours in the time zone, daylight saving included', () => {
    // 13:30 UTC is 09:30 in New York in summer (UTC-4), 08:30 in winter (UTC-5).
    assert.deepEqual(localTime(new Date('2026-07-01T13:30:00Z'), 'America/New_York'), {
      day: 'wed',
      minute: 9 * 60 + 30,
    });
    const windows = PROD.environments.production?.gate.changeWindows;
    assert.ok(windows !== undefined);
    assert.equal(outsideWindows(windows, new Date('2026-07-01T13:30:00Z')), undefined);
    assert.match(
      outsideWindows(windows, new Date('2026-01-07T13:30:00Z')) ?? '',
      /wed 08:30 in America\/New_York, outside every allowed window/,
    );
    assert.match(
      outsideWindows(windows, new Date('2026-11-26T15:00:00Z')) ?? '',
      /freeze .*thanksgiving/,
    );
  });

  void it('decides on the recorded time and approvals, never the clock; deny without them', () => {
    const open = { time: '2026-07-01T14:00:00Z' };
    const two = [
      { by: 'alice', source: 'environment-reviewers' },
      { by: 'bob', source: 'pull-request-reviews' },
    ];
    assert.deepEqual(failed(decide({ gate: { ...open, approvals: two } })), []);
    assert.deepEqual(failed(decide({ gate: { approvals: two } })), [
      'sathos:change-window: the decision records no time (gate.time)',
    ]);
    // The same approver twice, and someone not listed, count once and not at all.
    const repeated = [two[0], { by: 'ALICE', source: 'x' }, { by: 'carol', source: 'x' }];
    assert.deepEqual(failed(decide({ gate: { ...open, approvals: repeated } })), [
      'sathos:approvals: 1 found: alice',
    ]);
    assert.deepEqual(failed(decide({ gate: { ...open, approvals: 'alice,bob' } })), [
      'sathos:approvals: 0 found',
    ]);
  });

  void it('denies after a flagged step unless the environment allows anomalies', () => {
    const flagged = [
      { stage: 'source', observations: { anomaly: { halted: true, findings: [] } } },
    ];
    const staging = policy('  staging:\n');
    const d = evaluatePolicy(staging, {
      stage: 'decision',
      environment: 'staging',
      variables: celVariables({ records: flagged, observations: {} }),
    });
    assert.deepEqual(
      d.results.filter((r) => !r.passed).map((r) => r.id),
      ['sathos:anomaly'],
    );
    assert.deepEqual(
      failed(
        decide(
          { gate: { time: '2026-07-01T14:00:00Z', approvals: [{ by: 'alice' }, { by: 'bob' }] } },
          flagged,
        ),
      ),
      [],
    );
  });
});
