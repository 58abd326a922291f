import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PERMISSION_SCOPES, isSathosError, postureFindings } from '@sathos/core';
import type { RepositorySource } from './git-source.js';
import { collectPosture } from './collect.js';
import { parseActionFile, parseWorkflowFile } from './parse-workflow.js';

/** Every event GitHub's workflow schema knows (docs: "Events that trigger workflows"). */
const EVENTS = [
  'branch_protection_rule',
  'check_run',
  'check_suite',
  'create',
  'delete',
  'deployment',
  'deployment_status',
  'discussion',
  'discussion_comment',
  'fork',
  'gollum',
  'issue_comment',
  'issues',
  'label',
  'merge_group',
  'milestone',
  'page_build',
  'public',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'pull_request_target',
  'push',
  'registry_package',
  'release',
  'repository_dispatch',
  'status',
  'watch',
  'workflow_call',
  'workflow_dispatch',
  'workflow_run',
];

const JOB = '  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';

/** An in-memory repository. */
function memory(files: Record<string, string>): RepositorySource {
  return {
    commit: 'f'.repeat(40),
    list: (dir) =>
      Promise.resolve(
        Object.keys(files).filter(
          (p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'),
        ),
      ),
    read: (paths) =>
      Promise.resolve(
        new Map(
          paths.flatMap((p) => (files[p] === undefined ? [] : [[p, files[p]] as [string, string]])),
        ),
      ),
    close: () => undefined,
  };
}

test('every trigger, in the string, list and mapping forms, is read', async () => {
  const mapping = `on:\n${EVENTS.map((e) => (e === 'workflow_run' ? '  workflow_run:\n    workflows: [ci]\n' : e === 'schedule' ? '' : `  ${e}:\n`)).join('')}  schedule:\n    - cron: '0 3 * * 1'\njobs:\n${JOB}`;
  const wf = await parseWorkflowFile('w.yml', mapping);
  assert.deepEqual(wf.triggers.map((t) => t.event).sort(), [...EVENTS, 'schedule'].sort());
  assert.deepEqual((await parseWorkflowFile('w.yml', `on: push\njobs:\n${JOB}`)).triggers, [
    { event: 'push' },
  ]);
  const list = await parseWorkflowFile('w.yml', `on: [push, pull_request_target]\njobs:\n${JOB}`);
  assert.deepEqual(
    list.triggers.map((t) => t.event),
    ['push', 'pull_request_target'],
  );
  const typed = await parseWorkflowFile(
    'w.yml',
    `on:\n  pull_request_target:\n    types: [opened, labeled]\njobs:\n${JOB}`,
  );
  assert.deepEqual(typed.triggers, [
    { event: 'pull_request_target', types: ['opened', 'labeled'] },
  ]);
});

test('every permission form: shorthands, {}, every scope at every level', async () => {
  for (const [text, kind] of [
    ['read-all', 'read-all'],
    ['write-all', 'write-all'],
    ['{}', 'mapping'],
  ] as const) {
    const wf = await parseWorkflowFile('w.yml', `on: push\npermissions: ${text}\njobs:\n${JOB}`);
    assert.equal(wf.permissions?.declared.kind, kind);
    assert.equal(wf.permissions.line, 2);
  }
  const levels = ['read', 'write', 'none'] as const;
  const scopes = PERMISSION_SCOPES.map(
    (s, i) =>
      `      ${s}: ${s === 'copilot-requests' ? 'write' : s === 'vulnerability-alerts' ? 'read' : levels[i % 3]}`,
  );
  const wf = await parseWorkflowFile(
    'w.yml',
    `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n${scopes.join('\n')}\n    steps:\n      - run: make\n`,
  );
  const declared = wf.jobs[0]?.permissions?.declared;
  assert.ok(declared?.kind === 'mapping');
  assert.equal(Object.keys(declared.scopes).length, PERMISSION_SCOPES.length);
  assert.equal(wf.jobs[0]?.permissions?.line, 5);
});

test('expressions: toJSON(github.event) and github.event[...] are reads of the whole event; comparisons are not spliced', async () => {
  const wf = await parseWorkflowFile(
    'w.yml',
    [
      'on: issues',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      "      - run: echo '${{ toJSON(github.event) }}'",
      "      - run: echo ${{ github.event['issue'].body }} ${{ github.event.issue.title == 'x' }}",
      "      - run: echo ${{ startsWith(github.event.issue.title, 'x') && 'yes' || 'no' }}",
    ].join('\n'),
  );
  const reads = wf.jobs[0]?.steps.map((s) => s.runReads.map((r) => `${r.line}:${r.path}`));
  assert.deepEqual(reads, [['7:github.event'], ['8:github.event.issue.body'], []]);
});

test('runners: self-hosted labels, groups and unknowable expressions count as self-hosted; a literal matrix of hosted images does not', async () => {
  const runner = async (runsOn: string, extra = ''): Promise<boolean | undefined> =>
    (
      await parseWorkflowFile(
        'w.yml',
        `on: push\njobs:\n  a:\n    runs-on: ${runsOn}\n${extra}    steps:\n      - run: make\n`,
      )
    ).jobs[0]?.selfHosted;
  assert.equal(await runner('ubuntu-24.04'), false);
  assert.equal(await runner('[self-hosted, linux]'), true);
  assert.equal(await runner('{ group: private }'), true);
  assert.equal(await runner('${{ inputs.runner }}'), true);
  assert.equal(
    await runner(
      '${{ matrix.os }}',
      '    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-2022]\n',
    ),
    false,
  );
  assert.equal(
    await runner(
      '${{ matrix.os }}',
      '    strategy:\n      matrix:\n        os: [ubuntu-latest, gpu-box]\n',
    ),
    true,
  );
});

test('malformed input is one WORKFLOW_INVALID line with file:line, for workflows and actions', async () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'bad job key',
      () => parseWorkflowFile('w.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n    bogus: 1\n'),
      /^w\.yml:5:5: /,
    ],
    [
      'yaml',
      () => parseWorkflowFile('w.yml', 'on: push\njobs: {\n'),
      /^w\.yml:\d+:\d+: not a valid workflow/,
    ],
    [
      'expression',
      () =>
        parseWorkflowFile(
          'w.yml',
          `on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo \${{ github.event.( }}\n`,
        ),
      /^w\.yml:6:\d+: /,
    ],
    ['empty', () => parseWorkflowFile('w.yml', ''), /^w\.yml/],
    [
      'too large',
      () => parseWorkflowFile('w.yml', `on: push\n#${'x'.repeat(1024 * 1024)}\n`),
      /larger than/,
    ],
    [
      'deep nesting',
      () =>
        parseWorkflowFile(
          'w.yml',
          `on: push\nenv:\n  X: ${'['.repeat(200_000)}${']'.repeat(200_000)}\njobs:\n${JOB}`,
        ),
      /^w\.yml/,
    ],
    [
      'alias bomb',
      () => {
        const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
        for (let i = 1; i < 9; i++)
          levels.push(
            `l${i}: &l${i} [${Array<string>(10)
              .fill(i === 1 ? '*a' : `*l${i - 1}`)
              .join(', ')}]`,
          );
        return parseWorkflowFile(
          'w.yml',
          `on: push\nenv:\n  ${levels.join('\n  ')}\njobs:\n${JOB}`,
        );
      },
      /^w\.yml:4:\d+: not a valid workflow: its YAML aliases expand past/,
    ],
    [
      'action',
      async () => {
        await Promise.resolve();
        return parseActionFile(
          'a/action.yml',
          'name: x\nruns:\n  using: composite\n  steps:\n    - bogus: 1\n',
          [],
        );
      },
      /^a\/action\.yml:5:\d+: not a valid action/,
    ],
  ];
  for (const [name, run, where] of cases)
    await assert.rejects(
      run,
      (e: unknown) => isSathosError(e) && e.code === 'WORKFLOW_INVALID' && where.test(e.line),
      name,
    );
});

test('local calls: a composite action that calls itself and workflows that call each other end, capped by the caller', async () => {
  const files = {
    '.github/workflows/a.yml':
      'on: push\npermissions:\n  contents: read\njobs:\n  call:\n    uses: ./.github/workflows/b.yml\n  steps:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./loop\n',
    '.github/workflows/b.yml':
      'on: workflow_call\npermissions: write-all\njobs:\n  back:\n    uses: ./.github/workflows/a.yml\n  work:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n',
    'loop/action.yml':
      "name: loop\ndescription: calls itself\nruns:\n  using: composite\n  steps:\n    - uses: ./loop\n    - shell: bash\n      run: echo '${{ github.event.head_commit.message }}'\n",
  };
  const model = await collectPosture(memory(files), { repository: 'acme/app' });
  const work = model.jobs.find((j) => j.id === 'call/work');
  assert.ok(work !== undefined);
  assert.equal(work.permissions.scopes.contents, 'read');
  assert.equal(work.permissions.scopes.issues, 'none');
  const injection = postureFindings(model).filter((f) => f.rule === 'expression-injection');
  assert.deepEqual(
    injection.map((f) => [f.file, f.line, f.job]),
    [['loop/action.yml', 8, 'steps']],
  );
});
