// `sathos policy check` and `sathos policy test` through runCli, as a user (or a held-out test) runs
// them, as one table per command: each row names its files, its arguments, the exit code and the one
// line (or JSON code) the user sees. Speed on hostile input (a 20 MB policy, an alias bomb, a
// catastrophic-backtracking regex) is measured by `npm run bench`; here each must simply be decided.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../program.js';

interface Run {
  code: number;
  out: string;
  err: string;
  json: Record<string, unknown>;
}

async function sathos(args: readonly string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  const json = args.includes('--json') ? (JSON.parse(out) as Record<string, unknown>) : {};
  return { code, out, err, json };
}

const POLICY = `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, scan, decision, deploy]
identities:
  source: [{ keyId: "sha256:${'a'.repeat(64)}" }]
  build: [{ issuer: "https://token.actions.githubusercontent.com", subjectRegexp: "^https://github.com/acme/" }]
  test: [{ keyId: "sha256:${'a'.repeat(64)}" }]
  scan: [{ keyId: "sha256:${'a'.repeat(64)}" }]
  decision: [{ keyId: "sha256:${'a'.repeat(64)}" }]
  deploy: [{ keyId: "sha256:${'a'.repeat(64)}" }]
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: "the test stage must pass"
  - id: no-failures
    stage: test
    expression: "size(evidence.testResult.failedTests) == 0"
    message: "no test may fail"
  - id: branch-main
    expression: "chain.run.workflowRef.endsWith('@refs/heads/main')"
    message: "only main is released"
  - id: no-evil-names
    stage: scan
    expression: "!subjects.exists(s, s.name.matches('^(a+)+$'))"
    message: "no pathological names"
`;
const POLICY_DIGEST = createHash('sha256').update(POLICY).digest('hex');

const GOOD = {
  chain: { run: { workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main' } },
  evidence: { testResult: { result: 'PASSED', failedTests: [] } },
};
const json = (value: unknown): string => JSON.stringify(value);

/** Eight levels of nine aliases each: 9^9 strings once expanded. */
function aliasBomb(): string {
  const rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [prev = '', name = ''] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) {
    rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  return rows.join('\n');
}

interface Case {
  readonly name: string;
  /** Files written in a fresh directory before the run; `@name` in `args` is its path. */
  readonly files?: Readonly<Record<string, string>>;
  /** After `sathos`. `@policy` is the shared policy; `$API` the loopback GitHub API. */
  readonly args: readonly string[];
  readonly exit: 0 | 1 | 2;
  /** The JSON `code` (with --json). */
  readonly code?: string;
  /** The one line the user reads: the JSON reason with --json, else stderr. */
  readonly line?: RegExp;
  /** What else the row proves, on the run's output. */
  readonly then?: (run: Run, files: Readonly<Record<string, string>>) => void;
}

let dir: string;
let api = '';

async function run(c: Case): Promise<Run> {
  const own = await mkdtemp(join(dir, 'case-'));
  const paths: Record<string, string> = { policy: join(dir, 'policy.yaml') };
  for (const [name, text] of Object.entries(c.files ?? {})) {
    paths[name] = join(own, name);
    await writeFile(paths[name], text);
  }
  const args = c.args.map((a) =>
    a.startsWith('@') ? (paths[a.slice(1)] ?? join(own, a.slice(1))) : a.replace('$API', api),
  );
  return sathos(args);
}

function table(cases: readonly Case[]): void {
  for (const c of cases) {
    void it(`${c.name} (exit ${c.exit})`, async () => {
      const r = await run(c);
      assert.equal(r.code, c.exit, r.out + r.err);
      if (c.code !== undefined) assert.equal(r.json.code, c.code, r.out);
      if (c.line !== undefined) {
        const line = typeof r.json.reason === 'string' ? r.json.reason : r.err;
        assert.match(line, c.line);
      }
      c.then?.(r, c.files ?? {});
    });
  }
}

const failedIds = (r: Run): string[] =>
  (r.json.results as { id: string; passed: boolean }[]).filter((x) => !x.passed).map((x) => x.id);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sathos-policy-cli-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const test = (input: string, ...rest: string[]): string[] => [
  'policy',
  'test',
  '@policy',
  '--input',
  input,
  ...rest,
];

void describe('sathos policy check', () => {
  table([
    {
      name: 'a policy that loads and compiles, listing its rules',
      args: ['policy', 'check', '@policy', '--json'],
      exit: 0,
      then: (r) => {
        assert.equal(r.json.allowed, true);
        const rules = ['tests-passed', 'no-failures', 'branch-main', 'no-evil-names'];
        assert.deepEqual(r.json.rules, rules);
      },
    },
    {
      name: 'a rule whose CEL does not parse, named with file:line:col',
      files: {
        'syntax.yaml': POLICY.replace(
          'size(evidence.testResult.failedTests) == 0',
          'size(x) > 3 &&',
        ),
      },
      args: ['policy', 'check', '@syntax.yaml'],
      exit: 2,
      line: /^error: \S+syntax\.yaml:18:17: rule "no-failures": expression does not parse/m,
    },
    {
      name: 'a rule whose CEL does not parse, as JSON',
      files: {
        'syntax.yaml': POLICY.replace(
          'size(evidence.testResult.failedTests) == 0',
          'size(x) > 3 &&',
        ),
      },
      args: ['policy', 'check', '@syntax.yaml', '--json'],
      exit: 2,
      code: 'POLICY_INVALID',
      line: /no-failures/,
      then: (r) => {
        assert.equal(r.json.allowed, false);
      },
    },
    {
      name: 'every problem listed, one line each',
      files: {
        'many.yaml': POLICY.replace('kind: Policy', 'kind: Rule')
          .replace("== 'PASSED'", "+ 'PASSED'")
          .replace('stage: scan', 'stage: release'),
      },
      args: ['policy', 'check', '@many.yaml', '--json'],
      exit: 2,
      then: (r) => {
        const problems = r.json.problems as { line: number; message: string }[];
        assert.equal(problems.length, 3, JSON.stringify(problems));
        assert.ok(problems.every((p) => p.line > 0));
      },
    },
    {
      name: 'a 20 MB policy, refused by size',
      files: { 'huge.yaml': `${POLICY}#${'x'.repeat(20 * 1024 * 1024)}\n` },
      args: ['policy', 'check', '@huge.yaml', '--json'],
      exit: 2,
      code: 'POLICY_INVALID',
      line: /larger than/,
    },
    {
      name: 'a YAML alias bomb',
      files: { 'bomb.yaml': aliasBomb() },
      args: ['policy', 'check', '@bomb.yaml', '--json'],
      exit: 2,
      code: 'POLICY_INVALID',
    },
    {
      name: 'a policy file that does not exist',
      args: ['policy', 'check', '@nope.yaml', '--json'],
      exit: 2,
      code: 'FILE_UNREADABLE',
    },
  ]);
});

void describe('sathos policy test', () => {
  table([
    {
      name: 'every rule true: the decision, its results and the policy digest',
      files: { 'in.json': json(GOOD) },
      args: test('@in.json', '--stage', 'test', '--json'),
      exit: 0,
      code: 'OK',
      then: (r) => {
        assert.equal(r.json.allowed, true);
        const results = r.json.results as { id: string; passed: boolean }[];
        assert.deepEqual(
          results.map((x) => [x.id, x.passed]),
          [
            ['tests-passed', true],
            ['no-failures', true],
            ['branch-main', true],
          ],
        );
        const p = r.json.policy as { digest: { sha256: string } };
        assert.equal(p.digest.sha256, POLICY_DIGEST);
      },
    },
    {
      name: 'one false rule, named',
      files: {
        'in.json': json({
          ...GOOD,
          evidence: { testResult: { result: 'PASSED', failedTests: ['x'] } },
        }),
      },
      args: test('@in.json', '--stage', 'test', '--json'),
      exit: 1,
      code: 'POLICY_DENIED',
      then: (r) => {
        assert.equal(r.json.allowed, false);
        assert.deepEqual(failedIds(r), ['no-failures']);
      },
    },
    {
      name: 'one false rule, in words',
      files: {
        'in.json': json({
          ...GOOD,
          evidence: { testResult: { result: 'PASSED', failedTests: ['x'] } },
        }),
      },
      args: test('@in.json', '--stage', 'test'),
      exit: 1,
      line: /fail no-failures: no test may fail/,
    },
    {
      name: 'a stage the policy does not declare',
      files: { 'in.json': json(GOOD) },
      args: test('@in.json', '--stage', 'release', '--json'),
      exit: 1,
      then: (r) => {
        assert.equal(r.json.allowed, false);
      },
    },
    {
      name: 'a rule reading a field the input lacks: a denial, not a usage error',
      files: { 'in.json': json({ chain: GOOD.chain }) },
      args: test('@in.json', '--stage', 'test', '--json'),
      exit: 1,
      then: (r) => {
        assert.equal(r.json.allowed, false);
        assert.deepEqual(failedIds(r), ['tests-passed', 'no-failures']);
        const results = r.json.results as { passed: boolean; error?: string }[];
        assert.ok(results.filter((x) => !x.passed).every((x) => typeof x.error === 'string'));
      },
    },
    {
      name: 'the stage taken from the input when --stage is absent',
      files: { 'in.json': json({ ...GOOD, stage: 'test' }) },
      args: test('@in.json', '--json'),
      exit: 0,
    },
    {
      name: "matches('^(a+)+$') over 5,000 characters, decided (RE2: no backtracking)",
      files: { 'in.json': json({ ...GOOD, subjects: [{ name: `${'a'.repeat(5000)}!` }] }) },
      args: test('@in.json', '--stage', 'scan', '--json'),
      exit: 0,
    },
    {
      name: 'input that is not a JSON object',
      files: { 'bad.json': '[1, 2' },
      args: test('@bad.json', '--stage', 'test', '--json'),
      exit: 2,
      code: 'POLICY_INPUT_INVALID',
    },
    {
      name: 'input nested too deeply',
      files: { 'deep.json': `{"x": ${'['.repeat(100)}${']'.repeat(100)}}` },
      args: test('@deep.json', '--stage', 'test', '--json'),
      exit: 2,
      code: 'POLICY_INPUT_INVALID',
    },
    {
      name: 'no --input',
      args: ['policy', 'test', '@policy', '--stage', 'test'],
      exit: 2,
    },
    {
      name: 'no stage, in the flags or the input',
      files: { 'in.json': json(GOOD) },
      args: test('@in.json', '--json'),
      exit: 2,
      code: 'USAGE',
    },
    {
      name: 'a policy that does not compile',
      files: { 'nonbool.yaml': POLICY.replace("== 'PASSED'", "+ 'PASSED'"), 'in.json': json(GOOD) },
      args: ['policy', 'test', '@nonbool.yaml', '--input', '@in.json', '--stage', 'test', '--json'],
      exit: 2,
      line: /tests-passed/,
      then: (r) => {
        assert.equal(r.json.allowed, false);
      },
    },
    {
      name: 'an unknown action',
      args: ['policy', 'lint', '@policy'],
      exit: 2,
    },
  ]);
});

void describe('a policy from another repository at a pinned commit', () => {
  const SHA = 'c'.repeat(40);
  let server: Server;
  let status = 200;

  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url?.includes(`ref=${SHA}`) === true ? status : 404;
      res.end(POLICY);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });

  const ref = `github:acme/policies/release.yaml@${SHA}`;
  const remote = (...rest: string[]) => ['policy', 'check', ref, '--github-api', '$API', ...rest];

  table([
    {
      name: 'checked, recording its API URL and digest',
      args: remote('--policy-digest', `sha256:${POLICY_DIGEST}`, '--json'),
      exit: 0,
      then: (r) => {
        const p = r.json.policy as { uri: string; digest: { sha256: string } };
        assert.equal(p.uri, `${api}/repos/acme/policies/contents/release.yaml?ref=${SHA}`);
        assert.equal(p.digest.sha256, POLICY_DIGEST);
      },
    },
    {
      name: 'a digest that is not the pinned one, denied',
      args: remote('--policy-digest', `sha256:${'0'.repeat(64)}`, '--json'),
      exit: 1,
      code: 'POLICY_DIGEST_MISMATCH',
    },
    {
      name: 'a branch name as a pin, refused',
      args: [
        'policy',
        'check',
        'github:acme/policies/release.yaml@main',
        '--github-api',
        '$API',
        '--json',
      ],
      exit: 2,
      code: 'USAGE',
    },
  ]);

  for (const answer of [404, 500]) {
    void it(`denies when the server answers ${answer} (POLICY_UNAVAILABLE)`, async () => {
      status = answer;
      try {
        const r = await run({
          name: `${answer}`,
          files: { 'in.json': json(GOOD) },
          args: [
            'policy',
            'test',
            ref,
            '--github-api',
            '$API',
            '--input',
            '@in.json',
            '--stage',
            'test',
            '--json',
          ],
          exit: 1,
        });
        assert.equal(r.json.allowed, false);
        assert.equal(r.json.code, 'POLICY_UNAVAILABLE');
        assert.notEqual(r.code, 0, 'never allowed');
      } finally {
        status = 200;
      }
    });
  }
});
