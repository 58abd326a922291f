// The local workflow runner on small workflows: jobs in needs order with outputs, if: conditions,
// artifacts between jobs, called workflows, env files, and each job's OIDC identity granted only
// by its permissions. What it cannot run faithfully is refused before any job runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSathosError } from '@sathos/core';
import { createOidcIssuer } from '@sathos/testkit';
import { runWorkflow, type RunOptions } from '@sathos/github/workflow-runner';
import { ScratchRepo } from './scratch.js';

const issuer = createOidcIssuer();
const CHECKOUT = 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1';
const UPLOAD = 'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02';
const DOWNLOAD = 'actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093';

function claimsOf(token: string): Record<string, unknown> {
  const checked = issuer.check(token);
  if ('reason' in checked) throw new Error(checked.reason);
  return checked.claims;
}

const CALLED = `
on:
  workflow_call:
    inputs:
      word: { type: string, required: true }
      count: { type: number, default: 2 }
    outputs:
      said: { value: "\${{ jobs.speak.outputs.said }}" }
permissions: {}
jobs:
  speak:
    runs-on: ubuntu-latest
    permissions: { id-token: write }
    outputs:
      said: \${{ steps.say.outputs.said }}
    steps:
      - id: say
        run: echo "said=\${{ inputs.word }}x\${{ inputs.count }}" >> "$GITHUB_OUTPUT"
      - name: ask for a token
        run: |
          curl -sf -H "Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore" > "$RUNNER_TEMP/token.json"
          test -s "$RUNNER_TEMP/token.json"
`;

const MAIN = `
on: push
permissions: {}
env:
  GREETING: hello
jobs:
  make:
    runs-on: ubuntu-latest
    permissions: { contents: read }
    outputs:
      value: \${{ steps.one.outputs.value }}
    steps:
      - uses: ${CHECKOUT}
      - id: one
        run: |
          test -f README.md
          echo "value=$GREETING-\${{ github.sha }}" >> "$GITHUB_OUTPUT"
          echo "LATER=exported" >> "$GITHUB_ENV"
          test -z "\${ACTIONS_ID_TOKEN_REQUEST_URL:-}"
      - run: |
          test "$LATER" = exported
          mkdir out && echo built > out/thing.txt
      - uses: ${UPLOAD}
        with: { name: things, path: out }
  use:
    needs: make
    runs-on: ubuntu-latest
    steps:
      - uses: ${DOWNLOAD}
        with: { name: things, path: got }
      - run: test "$(cat got/thing.txt)" = built && test "\${{ needs.make.outputs.value }}" = "hello-\${{ github.sha }}"
  call:
    needs: make
    permissions: { id-token: write }
    uses: ./.github/workflows/called.yml
    with:
      word: \${{ needs.make.outputs.value }}
  after:
    needs: [use, call]
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ needs.call.outputs.said }}" = "hello-\${{ github.sha }}x2"
      - id: broken
        run: exit 3
        continue-on-error: true
      - run: test "\${{ steps.broken.outcome }}" = failure
  never:
    needs: after
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
`;

void describe('the local workflow runner', () => {
  let repo: ScratchRepo;
  let sha: string;
  const options = (name: string, path: string): RunOptions => ({
    repository: 'octo-org/app',
    repositoryDir: repo.dir,
    workflowPath: path,
    sha,
    workDir: repo.workDir(name),
    issueToken: (claims) => issuer.issueToken({ sub: '', ...claims }),
    hostEnv: { PATH: process.env.PATH ?? '', HOME: repo.root },
  });
  before(() => {
    repo = new ScratchRepo();
    sha = repo.commit({
      'README.md': 'app\n',
      '.github/workflows/main.yml': MAIN,
      '.github/workflows/called.yml': CALLED,
    });
  });
  after(() => {
    repo.dispose();
  });

  void it('runs jobs in needs order with outputs, env files, artifacts and a called workflow', async () => {
    const result = await runWorkflow(options('main', '.github/workflows/main.yml'));
    assert.deepEqual(
      Object.fromEntries(Object.entries(result.jobs).map(([k, v]) => [k, v.result])),
      {
        make: 'success',
        use: 'success',
        'call/speak': 'success',
        call: 'success',
        after: 'success',
        never: 'skipped',
      },
      JSON.stringify(result.jobs, null, 1),
    );
    assert.equal(result.conclusion, 'success');
    // Only the called job, whose permissions (and its caller's) grant id-token write, got a token.
    assert.deepEqual(result.tokenRequests, [{ job: 'call/speak', audience: 'sigstore' }]);
  });

  void it('names the called file as the job identity in its token', () => {
    const tokenFile = join(repo.workDir('main'), 'jobs', 'call__speak', 'temp', 'token.json');
    assert.ok(existsSync(tokenFile));
    const { value } = JSON.parse(readFileSync(tokenFile, 'utf8')) as { value: string };
    const claims = claimsOf(value);
    assert.equal(
      claims.job_workflow_ref,
      'octo-org/app/.github/workflows/called.yml@refs/heads/main',
    );
    assert.equal(claims.workflow_ref, 'octo-org/app/.github/workflows/main.yml@refs/heads/main');
    assert.equal(claims.sha, sha);
  });
});

const refusals: [string, string, RegExp][] = [
  [
    'a YAML error',
    'on: push\njobs:\n  a: [\n',
    /\.github\/workflows\/bad\.yml@[0-9a-f]{40}:\d+:\d+/,
  ],
  [
    'a schema error',
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n',
    /stepz|steps/,
  ],
  [
    'a matrix',
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy: { matrix: { n: [1, 2] } }\n    steps: [{ run: "true" }]\n',
    /`strategy:` is not supported/,
  ],
  [
    'an action by tag',
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ uses: actions/checkout@v4 }]\n',
    /uses: actions\/checkout@v4/,
  ],
  [
    'another shell',
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: "print(1)", shell: python }]\n',
    /shell: python/,
  ],
  [
    'a needs cycle',
    'on: push\njobs:\n  a:\n    needs: b\n    runs-on: ubuntu-latest\n    steps: [{ run: "true" }]\n  b:\n    needs: a\n    runs-on: ubuntu-latest\n    steps: [{ run: "true" }]\n',
    /no dependencies|cycle/,
  ],
  [
    'a call of a workflow that does not exist',
    'on: push\njobs:\n  a:\n    uses: ./.github/workflows/nope.yml\n',
    /cannot be read|nope\.yml/,
  ],
];

void describe('the local workflow runner refuses what it cannot run faithfully', () => {
  let repo: ScratchRepo;
  let sha: string;
  before(() => {
    repo = new ScratchRepo();
    sha = repo.commit({ 'README.md': 'x\n' });
  });
  after(() => {
    repo.dispose();
  });

  for (const [name, content, message] of refusals) {
    void it(`refuses ${name} before any job runs`, async () => {
      sha = repo.commit({ '.github/workflows/bad.yml': content }, name);
      const workDir = repo.workDir(name.replaceAll(' ', '-'));
      await assert.rejects(
        runWorkflow({
          repository: 'octo-org/app',
          repositoryDir: repo.dir,
          workflowPath: '.github/workflows/bad.yml',
          sha,
          workDir,
          issueToken: () => 'unused',
        }),
        (error: unknown) => {
          assert.ok(isSathosError(error), String(error));
          assert.equal(error.code, 'WORKFLOW_INVALID');
          assert.match(`${error.message} ${error.where ?? ''}`, message);
          return true;
        },
      );
      assert.equal(existsSync(join(workDir, 'jobs')), false, 'no job ran');
    });
  }

  void it('gives a called job no token when its caller does not grant id-token write', async () => {
    sha = repo.commit({
      '.github/workflows/called.yml': CALLED,
      '.github/workflows/caller.yml':
        'on: push\npermissions: {}\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    with: { word: hi }\n',
    });
    const result = await runWorkflow({
      repository: 'octo-org/app',
      repositoryDir: repo.dir,
      workflowPath: '.github/workflows/caller.yml',
      sha,
      workDir: repo.workDir('no-grant'),
      issueToken: (claims) => issuer.issueToken({ sub: '', ...claims }),
      hostEnv: { PATH: process.env.PATH ?? '', HOME: repo.root },
    });
    assert.equal(result.jobs['call/speak']?.result, 'failure');
    assert.equal(result.conclusion, 'failure');
    assert.deepEqual(result.tokenRequests, []);
  });

  void it("is a self-hosted runner: a step only for GitHub's hosted runners is skipped", async () => {
    // A step meant only for GitHub's hosted runners (a system-wide change, say) sits under this
    // `if:`; run here, that step must not touch this machine.
    sha = repo.commit({
      '.github/workflows/hosted.yml':
        'on: push\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - if: runner.environment == \'github-hosted\'\n        run: exit 1\n      - run: test "$RUNNER_ENVIRONMENT" = self-hosted\n',
    });
    const result = await runWorkflow({
      repository: 'octo-org/app',
      repositoryDir: repo.dir,
      workflowPath: '.github/workflows/hosted.yml',
      sha,
      workDir: repo.workDir('hosted'),
      issueToken: () => 'unused',
      hostEnv: { PATH: process.env.PATH ?? '', HOME: repo.root },
    });
    assert.equal(result.jobs.j?.result, 'success');
    assert.equal(result.conclusion, 'success');
  });

  void it("kills a step past the job's timeout-minutes and fails the job", async () => {
    sha = repo.commit({
      '.github/workflows/slow.yml':
        'on: push\npermissions: {}\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    timeout-minutes: 0.02\n    steps:\n      - run: sleep 30\n',
    });
    const result = await runWorkflow({
      repository: 'octo-org/app',
      repositoryDir: repo.dir,
      workflowPath: '.github/workflows/slow.yml',
      sha,
      workDir: repo.workDir('slow'),
      issueToken: () => 'unused',
      hostEnv: { PATH: process.env.PATH ?? '', HOME: repo.root },
    });
    assert.equal(result.jobs.slow?.result, 'failure');
    assert.match(JSON.stringify(result.jobs.slow), /past its timeout/);
  });
});
