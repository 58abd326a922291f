// `sathos posture` end to end: real git repositories, the CLI in-process, a loopback stand-in for
// the GitHub API that resolves action refs (and moves a tag, as the trivy-action and tj-actions
// attackers did), SARIF checked for the shape code scanning reads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import { startGitHubStandIn } from '@sathos/github/testing';

const FIXTURES = new URL('../fixtures/workflows/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sathos-posture-cli-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});
const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const SHA_C = 'c'.repeat(40);
const SHA_D = 'd'.repeat(40);

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' },
  });
}

function commitAll(dir: string): void {
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'c');
}

function repoOf(name: string, files: Record<string, string> = {}, fixture?: string): string {
  const dir = join(work, name);
  if (fixture !== undefined)
    cpSync(join(FIXTURES, fixture), dir, {
      recursive: true,
      filter: (s) => !s.endsWith('expect.json'),
    });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir);
  return dir;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

test('a hardened repository is allowed by the baseline (exit 0, one JSON object)', async () => {
  const dir = repoOf('hardened', {}, 'hardened');
  const r = await cli('posture', dir, '--json');
  assert.equal(r.code, 0, r.out);
  const json = JSON.parse(r.out) as { allowed: boolean; code: string; findings: unknown[] };
  assert.equal(json.allowed, true);
  assert.equal(json.code, 'OK');
  assert.deepEqual(json.findings, []);
});

test('an Nx-shaped pwn request is denied: the table names file:line, job, rule and fix; SARIF locates it', async () => {
  const dir = repoOf('nx', {}, 'nx-shaped');
  const sarifPath = join(work, 'nx.sarif');
  const r = await cli('posture', dir, '--sarif', sarifPath);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /\.github\/workflows\/pr-title\.yml:20 +validate +expression-injection \(high\) +pass it through env:/,
  );
  assert.match(
    r.err,
    /\.github\/workflows\/pr-title\.yml:15 +validate +untrusted-checkout \(critical\)/,
  );
  assert.match(r.err, /denied: fail posture:untrusted-checkout/);
  const sarif = JSON.parse(readFileSync(sarifPath, 'utf8')) as {
    version: string;
    $schema: string;
    runs: {
      tool: {
        driver: { name: string; rules: { id: string; properties: Record<string, unknown> }[] };
      };
      results: {
        ruleId: string;
        ruleIndex: number;
        level: string;
        message: { text: string };
        locations: {
          physicalLocation: {
            artifactLocation: { uri: string };
            region: { startLine: number; startColumn: number };
          };
        }[];
      }[];
    }[];
  };
  assert.equal(sarif.version, '2.1.0');
  assert.match(sarif.$schema, /sarif-2\.1\.0/);
  assert.equal(sarif.runs.length, 1);
  const run = sarif.runs[0];
  assert.ok(run !== undefined);
  assert.equal(run.tool.driver.name, 'sathos-posture');
  for (const result of run.results) {
    assert.equal(run.tool.driver.rules[result.ruleIndex]?.id, result.ruleId);
    assert.ok(['error', 'warning', 'note'].includes(result.level));
    assert.ok(result.message.text.length > 0);
    const loc = result.locations[0]?.physicalLocation;
    assert.ok(loc !== undefined && loc.region.startLine >= 1 && loc.region.startColumn >= 1);
  }
  for (const rule of run.tool.driver.rules)
    assert.match(String(rule.properties['security-severity']), /^\d+\.\d$/);
  const injection = run.results.find((x) => x.ruleId === 'expression-injection');
  const location = injection?.locations[0]?.physicalLocation;
  assert.deepEqual(
    { uri: location?.artifactLocation.uri, line: location?.region.startLine },
    { uri: '.github/workflows/pr-title.yml', line: 20 },
  );
});

test('a malformed workflow is a usage error naming file:line, never a crash', async () => {
  const dir = repoOf('malformed', {
    '.github/workflows/bad.yml':
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: bogus\n    steps:\n      - run: make\n',
  });
  const r = await cli('posture', dir, '--json');
  assert.equal(r.code, 2);
  const json = JSON.parse(r.out) as { allowed: boolean; code: string; reason: string };
  assert.equal(json.allowed, false);
  assert.equal(json.code, 'WORKFLOW_INVALID');
  assert.match(
    json.reason,
    /^\.github\/workflows\/bad\.yml:6:\d+: not a valid workflow: Unexpected value 'bogus'/,
  );
  const yaml = repoOf('malformed-yaml', { '.github/workflows/x.yaml': 'on: push\njobs: [\n' });
  const y = await cli('posture', yaml);
  assert.equal(y.code, 2);
  assert.match(y.err, /^error: \.github\/workflows\/x\.yaml:\d+:\d+: not a valid workflow/);
});

test('the workflows are read at the commit, not from the working tree', async () => {
  const dir = repoOf('committed', {}, 'hardened');
  writeFileSync(
    join(dir, '.github/workflows/release.yml'),
    'on: push\npermissions: write-all\njobs: {}\n',
  );
  assert.equal((await cli('posture', dir)).code, 0);
  git(dir, 'checkout', '-q', '--', '.');
  writeFileSync(
    join(dir, '.github/workflows/evil.yml'),
    readFileSync(join(FIXTURES, 'write-all/.github/workflows/ci.yml')),
  );
  commitAll(dir);
  assert.equal((await cli('posture', dir)).code, 1);
  assert.equal((await cli('posture', dir, '--commit', 'HEAD~1')).code, 0);
});

test('unusable input: not a repository, a policy without posture:, a bad --repository', async () => {
  const notRepo = join(work, 'not-a-repo');
  mkdirSync(notRepo);
  const r = await cli('posture', notRepo, '--json');
  assert.equal(r.code, 2);
  assert.match(
    (JSON.parse(r.out) as { reason: string }).reason,
    /not the top directory of a git repository/,
  );
  const inside = await cli('posture', join(repoOf('outer', {}, 'hardened'), '.github'));
  assert.equal(inside.code, 2);
  assert.match(inside.err, /not the top directory/);
  const noCommit = await cli('posture', join(work, 'outer'), '--commit', 'nosuchbranch', '--json');
  assert.equal(noCommit.code, 2);
  assert.equal((JSON.parse(noCommit.out) as { code: string }).code, 'GIT_FAILED');
  assert.equal((await cli('posture', join(work, 'outer'), '--commit', '--upload-pack=x')).code, 2);
  const policy = join(work, 'no-posture.yaml');
  writeFileSync(
    policy,
    `apiVersion: sathos.dev/v1\nkind: Policy\nstages: [source]\nidentities:\n  source: [{ keyId: 'sha256:${'a'.repeat(64)}' }]\n`,
  );
  const dir = repoOf('plain', {}, 'hardened');
  const p = await cli('posture', dir, '--policy', policy);
  assert.equal(p.code, 2);
  assert.match(p.err, /has no posture: section/);
  assert.equal((await cli('posture', dir, '--repository', '../x')).code, 2);
});

const LOCK_POLICY = `apiVersion: sathos.dev/v1
kind: Policy
stages: [source]
identities:
  source: [{ keyId: 'sha256:${'a'.repeat(64)}' }]
posture:
  lock: required
  rules:
    - id: lint-has-no-secrets
      expression: "workflow.jobs.all(j, size(j.secrets) == 0)"
      message: no job reads a secret
`;

test('the lock: written from the API, matched at the commit, and a moved tag (direct or transitive) denies', async () => {
  const commits: Record<string, string> = {
    'tj-actions/changed-files@v45': SHA_A,
    'aquasecurity/setup-trivy@v0.2.2': SHA_C,
  };
  const standIn = await startGitHubStandIn({
    apiToken: 'tok',
    commits,
    files: {
      // A pinned composite action that runs another action by tag: the trivy-action shape.
      [`aquasecurity/trivy-action/action.yml@${SHA_B}`]: `name: trivy\ndescription: scan\nruns:\n  using: composite\n  steps:\n    - uses: aquasecurity/setup-trivy@v0.2.2\n    - shell: bash\n      run: trivy fs .\n`,
    },
  });
  try {
    const env = { GITHUB_TOKEN: 'tok' };
    const dir = repoOf('locked', {
      '.github/workflows/lint.yml': `on: push\npermissions: {}\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: tj-actions/changed-files@v45\n      - uses: aquasecurity/trivy-action@${SHA_B}\n`,
    });
    const policy = join(work, 'lock-policy.yaml');
    writeFileSync(policy, LOCK_POLICY);
    const run = (...extra: string[]): Promise<{ code: number; out: string; err: string }> => {
      const old = process.env.GITHUB_TOKEN;
      process.env.GITHUB_TOKEN = env.GITHUB_TOKEN;
      return cli(
        'posture',
        dir,
        '--policy',
        policy,
        '--github-api',
        standIn.apiUrl,
        ...extra,
      ).finally(() => {
        if (old === undefined) delete process.env.GITHUB_TOKEN;
        else process.env.GITHUB_TOKEN = old;
      });
    };
    const missing = await run('--json');
    assert.equal(missing.code, 1);
    assert.match(missing.out, /there is no lock at the commit/);
    const written = await run('--lock');
    assert.equal(written.code, 0, written.err);
    const lock = readFileSync(join(dir, '.github/sathos-actions.lock.json'), 'utf8');
    assert.match(lock, new RegExp(`"uses":"tj-actions/changed-files@v45","sha":"${SHA_A}"`));
    assert.match(lock, new RegExp(`"uses":"aquasecurity/setup-trivy@v0.2.2","sha":"${SHA_C}"`));
    commitAll(dir);
    assert.equal((await run()).code, 0);
    commits['aquasecurity/setup-trivy@v0.2.2'] = SHA_D;
    const moved = await run();
    assert.equal(moved.code, 1);
    assert.match(
      moved.err,
      new RegExp(`aquasecurity/setup-trivy@v0.2.2 moved from ${SHA_C} to ${SHA_D}`),
    );
    commits['aquasecurity/setup-trivy@v0.2.2'] = SHA_C;
    commits['tj-actions/changed-files@v45'] = SHA_D;
    const direct = await run('--json');
    assert.equal(direct.code, 1);
    assert.equal((JSON.parse(direct.out) as { code: string }).code, 'POLICY_DENIED');
    assert.match(direct.out, /tj-actions\/changed-files@v45 moved/);
    // Without the API a tag cannot be locked (exit 2, saying what to give) nor matched (a denial).
    const unlockable = await cli('posture', dir, '--lock', join(work, 'x.lock.json'), '--json');
    assert.equal(unlockable.code, 2);
    assert.match(unlockable.out, /was not resolved to a commit; give --github-api/);
    // Without the API nothing can be resolved: the lock cannot be matched, which denies.
    const offline = await cli('posture', dir, '--policy', policy);
    assert.equal(offline.code, 1);
    assert.match(offline.err, /could not be resolved to a commit/);
  } finally {
    await standIn.close();
  }
});
