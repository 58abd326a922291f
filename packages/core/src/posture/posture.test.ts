import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePolicy } from '../policy/document/document.js';
import { contextTaint, isUntrustedRef } from './contexts.js';
import { evaluatePosture } from './evaluate.js';
import { postureFindings } from './findings.js';
import { compareLock, lockOf, parseLock, serializeLock } from './lock.js';
import type { JobModel, PostureModel, StepModel } from './model.js';
import { DEFAULT_SCOPES, capScopes, scopesOf, writeScopes } from './permissions.js';
import { parseUses } from './uses.js';

const SHA = 'a'.repeat(40);

test('every documented uses: form is read with its ref kind, pinning and party', () => {
  const cases: [string, boolean, Record<string, unknown>][] = [
    [
      'actions/checkout@v4',
      false,
      { kind: 'tag', repository: 'actions/checkout', path: '', firstParty: true, pinned: false },
    ],
    [`actions/checkout@${SHA}`, false, { kind: 'sha', pinned: true }],
    [`actions/checkout@${'b'.repeat(64)}`, false, { kind: 'sha', pinned: true }],
    ['actions/checkout@8e5e7e5', false, { kind: 'short-sha', pinned: false }],
    ['actions/aws/ec2@main', false, { kind: 'branch', repository: 'actions/aws', path: 'ec2' }],
    ['tj-actions/changed-files@v45.0.1', false, { kind: 'tag', firstParty: false, pinned: false }],
    ['acme/tools/lint@v1', false, { firstParty: true }],
    [
      './.github/actions/setup',
      false,
      { kind: 'local', path: '.github/actions/setup', pinned: true },
    ],
    ['docker://alpine:3.20', false, { kind: 'docker', pinned: false, firstParty: false }],
    [
      `docker://ghcr.io/o/i@sha256:${'c'.repeat(64)}`,
      false,
      { kind: 'docker-digest', pinned: true },
    ],
    [
      'octo-org/wf/.github/workflows/ci.yml@v2',
      true,
      { kind: 'tag', path: '.github/workflows/ci.yml', workflow: true },
    ],
    ['./.github/workflows/build.yml', true, { kind: 'local', workflow: true }],
  ];
  for (const [raw, workflow, want] of cases) {
    const got = parseUses(raw, workflow, 'acme') as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) assert.equal(got[k], v, `${raw}: ${k}`);
  }
  for (const bad of ['checkout', 'actions@v4', '@v4', 'actions/checkout@', 'a/@v1'])
    assert.equal(parseUses(bad, false), undefined, bad);
});

test('attacker-controlled contexts are told from safe event fields', () => {
  for (const p of [
    'github.event.issue.title',
    'github.event.pull_request.body',
    'github.head_ref',
    'github.event.commits.*.message',
    'github.event.head_commit.author.email',
    'github.event.workflow_run.head_branch',
    'github.event.issue',
    'github.event',
  ])
    assert.notEqual(contextTaint(p), 'none', p);
  assert.equal(contextTaint('github.event.issue.title'), 'attacker');
  assert.equal(contextTaint('github.event.release.body'), 'event');
  for (const p of [
    'github.event.pull_request.number',
    'github.event.pull_request.head.sha',
    'github.event.issue.user.login',
    'github.event.repository.name',
    'github.sha',
    'secrets.token',
    'inputs.version',
    'steps.x.outputs.y',
  ])
    assert.equal(contextTaint(p), 'none', p);
  assert.ok(isUntrustedRef('github.event.pull_request.head.sha'));
  assert.ok(isUntrustedRef('github.event.workflow_run.head_sha'));
  assert.ok(!isUntrustedRef('github.event.pull_request.base.sha'));
  assert.ok(!isUntrustedRef('github.sha'));
});

test('permissions: shorthands, omitted scopes, the default and the caller cap', () => {
  assert.equal(writeScopes(scopesOf({ kind: 'write-all' })).length, 20);
  assert.deepEqual(writeScopes(scopesOf({ kind: 'read-all' })), []);
  const mapping = scopesOf({ kind: 'mapping', scopes: { contents: 'write' } });
  assert.equal(mapping.contents, 'write');
  assert.equal(mapping['id-token'], 'none');
  assert.equal(DEFAULT_SCOPES['id-token'], 'none');
  assert.equal(DEFAULT_SCOPES.contents, 'write');
  const capped = capScopes(scopesOf({ kind: 'write-all' }), mapping);
  assert.deepEqual(writeScopes(capped), ['contents']);
});

function step(partial: Partial<StepModel>): StepModel {
  return { line: 5, col: 7, with: {}, runReads: [], file: 'w.yml', via: [], ...partial };
}

function job(partial: Partial<JobModel>): JobModel {
  return {
    id: 'j',
    workflow: 'w.yml',
    file: 'w.yml',
    line: 3,
    col: 3,
    permissions: { source: 'job', scopes: scopesOf({ kind: 'mapping', scopes: {} }), line: 4 },
    secrets: [],
    runsOn: ['ubuntu-latest'],
    selfHosted: false,
    steps: [],
    ...partial,
  };
}

function model(
  jobs: JobModel[],
  triggers: string[] = ['push'],
  actions: PostureModel['actions'] = [],
): PostureModel {
  return {
    commit: SHA,
    files: [
      {
        path: 'w.yml',
        triggers: triggers.map((event) => ({ event })),
        reusable: false,
        sha256: '0'.repeat(64),
      },
    ],
    jobs,
    actions,
  };
}

test('an injection in a comparison or contains() is not flagged; in the value it is', () => {
  const reads = [{ path: 'github.event.issue.title', line: 9, col: 12 }];
  const flagged = postureFindings(
    model([job({ steps: [step({ run: 'echo', runReads: reads })] })]),
  );
  assert.deepEqual(
    flagged.map((f) => [f.rule, f.line, f.col]),
    [['expression-injection', 9, 12]],
  );
  // The adapter drops reads that only feed a boolean; what remains is what core judges.
  assert.deepEqual(
    postureFindings(model([job({ steps: [step({ run: 'echo', runReads: [] })] })])),
    [],
  );
});

test('the lock: serialized stably, read back, and every kind of difference found', () => {
  const m = model(
    [],
    ['push'],
    [
      {
        uses: 'tj-actions/changed-files@v45',
        kind: 'tag',
        workflow: false,
        firstParty: false,
        sha: SHA,
      },
      { uses: './.github/actions/x', kind: 'local', workflow: false, firstParty: true },
    ],
  );
  const lock = lockOf(m);
  assert.deepEqual(lock.actions, [{ uses: 'tj-actions/changed-files@v45', sha: SHA }]);
  const text = serializeLock(lock);
  assert.deepEqual(parseLock(text, 'l'), lock);
  assert.equal(compareLock(lock, m).matches, true);
  const moved = model(
    [],
    ['push'],
    [
      {
        uses: 'tj-actions/changed-files@v45',
        kind: 'tag',
        workflow: false,
        firstParty: false,
        sha: 'b'.repeat(40),
      },
      {
        uses: 'evil/new@v1',
        kind: 'tag',
        workflow: false,
        firstParty: false,
        sha: 'c'.repeat(40),
        via: 'x/y@v1',
      },
      { uses: 'un/resolved@v1', kind: 'tag', workflow: false, firstParty: false },
    ],
  );
  const c = compareLock(lock, moved);
  assert.equal(c.matches, false);
  assert.deepEqual(
    c.moved.map((x) => x.uses),
    ['tj-actions/changed-files@v45'],
  );
  assert.deepEqual(
    c.added.map((x) => x.uses),
    ['evil/new@v1'],
  );
  assert.deepEqual(c.unresolved, ['un/resolved@v1']);
  assert.throws(() => lockOf(moved), /was not resolved/);
  assert.throws(
    () =>
      lockOf(
        model(
          [],
          ['push'],
          [{ uses: 'docker://alpine:3', kind: 'docker', workflow: false, firstParty: false }],
        ),
      ),
    /pin it by digest/,
  );
});

test('a hostile lock is refused with one clear line, never read in part', () => {
  const bad = [
    'not json',
    '[]',
    '{"version": 2, "actions": []}',
    '{"version": 1}',
    '{"version": 1, "actions": [{"uses": "a/b@v1"}]}',
    `{"version": 1, "actions": [{"uses": "a/b@v1", "sha": "${'z'.repeat(40)}"}]}`,
    `{"version": 1, "actions": [{"uses": "a/b@v1", "sha": "${SHA}"}, {"uses": "a/b@v1", "sha": "${'b'.repeat(40)}"}]}`,
    `{"version": 1, "actions": [${Array.from({ length: 10_001 }, () => `{"uses":"a/b@v1","sha":"${SHA}"}`).join(',')}]}`,
  ];
  for (const text of bad)
    assert.throws(
      () => parseLock(text, 'lock.json'),
      (e: unknown) =>
        (e as { code?: string }).code === 'POLICY_INPUT_INVALID' &&
        /rewrite it with sathos posture --lock/.test((e as Error).message),
      text.slice(0, 40),
    );
});

const POLICY = (posture: string): string => `apiVersion: sathos.dev/v1
kind: Policy
stages: [source]
identities:
  source: [{ keyId: 'sha256:${'a'.repeat(64)}' }]
${posture}`;

test('posture decisions: deny findings, required lock, CEL rules, erroring rules fail closed', () => {
  const uses = parseUses('evil/x@v1', false);
  assert.ok(uses !== undefined);
  const m = model([job({ steps: [step({ uses })] })]);
  const findings = postureFindings(m);
  const failed = (text: string, lock?: Parameters<typeof evaluatePosture>[1]['lock']): string[] =>
    evaluatePosture(parsePolicy(POLICY(text), 'p.yaml'), {
      model: m,
      findings,
      ...(lock === undefined ? {} : { lock }),
    })
      .results.filter((r) => !r.passed)
      .map((r) => r.id);
  assert.deepEqual(failed('posture:\n  deny: [unpinned-action]\n'), ['posture:unpinned-action']);
  assert.deepEqual(failed('posture:\n  deny: [expression-injection]\n'), []);
  assert.deepEqual(failed('posture:\n  lock: required\n'), ['sathos:posture-lock']);
  assert.deepEqual(failed('posture:\n  lock: if-present\n'), []);
  assert.deepEqual(
    failed('posture:\n  lock: if-present\n', {
      matches: false,
      added: [],
      moved: [{ uses: 'a/b@v1', locked: SHA, now: 'b'.repeat(40) }],
      unresolved: [],
      stale: [],
    }),
    ['sathos:posture-lock'],
  );
  const rule = (expr: string): string =>
    `posture:\n  rules:\n    - id: r\n      expression: "${expr}"\n      message: m\n`;
  assert.deepEqual(failed(rule('workflow.jobs.all(j, j.uses.all(u, u.pinned || u.firstParty))')), [
    'r',
  ]);
  assert.deepEqual(failed(rule("workflow.jobs.all(j, j.permissions['id-token'] != 'write')")), []);
  assert.deepEqual(failed(rule('workflow.jobs[5].selfHosted')), ['r']);
  const noSection = evaluatePosture(parsePolicy(POLICY(''), 'p.yaml'), { model: m, findings });
  assert.equal(noSection.allowed, false);
});

test('a call to a remote workflow with no permissions anywhere is flagged at the caller; a called local job inheriting is not', () => {
  const calls = parseUses(`org/wf/.github/workflows/x.yml@${SHA}`, true);
  assert.ok(calls !== undefined);
  const defaults = { source: 'default' as const, scopes: DEFAULT_SCOPES };
  const caller = job({ id: 'call', calls, callsAt: { line: 7, col: 11 }, permissions: defaults });
  const inherited = job({
    id: 'local/build',
    file: 'called.yml',
    permissions: { ...defaults, source: 'caller' },
  });
  const got = postureFindings(model([caller, inherited])).map((f) => [f.rule, f.job, f.line]);
  assert.deepEqual(got, [['token-default-permissions', 'call', 3]]);
});
