// `sathos policy check` and `sathos policy test` through runCli, as a user (or a held-out test) runs them.
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

let dir: string;
let policy: string;

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const input = (value: unknown): Promise<string> =>
  file(`input-${String(Math.random()).slice(2)}.json`, JSON.stringify(value));

const GOOD = {
  chain: { run: { workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main' } },
  evidence: { testResult: { result: 'PASSED', failedTests: [] } },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sathos-policy-cli-'));
  policy = await file('policy.yaml', POLICY);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

void describe('sathos policy check', () => {
  void it('exits 0 for a policy that loads and compiles', async () => {
    const r = await sathos(['policy', 'check', policy, '--json']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.json.allowed, true);
    assert.deepEqual(r.json.rules, ['tests-passed', 'no-failures', 'branch-main', 'no-evil-names']);
  });

  void describe('when the policy is unusable', () => {
    void it('exits 2 naming the rule whose CEL does not parse, with file:line:col', async () => {
      const bad = await file(
        'syntax.yaml',
        POLICY.replace('size(evidence.testResult.failedTests) == 0', 'size(x) > 3 &&'),
      );
      const r = await sathos(['policy', 'check', bad]);
      assert.equal(r.code, 2);
      assert.match(
        r.err,
        new RegExp(`^error: ${bad}:18:17: rule "no-failures": expression does not parse`, 'm'),
      );
      const j = await sathos(['policy', 'check', bad, '--json']);
      assert.equal(j.code, 2);
      assert.equal(j.json.allowed, false);
      assert.equal(j.json.code, 'POLICY_INVALID');
      assert.match(String(j.json.reason), /no-failures/);
    });

    void it('lists every problem, one line each', async () => {
      const bad = await file(
        'many.yaml',
        POLICY.replace('kind: Policy', 'kind: Rule')
          .replace("== 'PASSED'", "+ 'PASSED'")
          .replace('stage: scan', 'stage: release'),
      );
      const r = await sathos(['policy', 'check', bad, '--json']);
      assert.equal(r.code, 2);
      const problems = r.json.problems as { line: number; message: string }[];
      assert.equal(problems.length, 3, JSON.stringify(problems));
      assert.ok(problems.every((p) => p.line > 0));
    });

    void it('refuses a 20 MB policy quickly, with exit 2', async () => {
      const huge = await file('huge.yaml', `${POLICY}#${'x'.repeat(20 * 1024 * 1024)}\n`);
      const started = performance.now();
      const r = await sathos(['policy', 'check', huge, '--json']);
      assert.equal(r.code, 2);
      assert.equal(r.json.code, 'POLICY_INVALID');
      assert.match(String(r.json.reason), /larger than/);
      assert.ok(performance.now() - started < 2000);
    });

    void it('refuses a YAML alias bomb quickly, with exit 2', async () => {
      const rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
      for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) {
        rows.push(
          `${name ?? ''}: &${name ?? ''} [${Array(9)
            .fill(`*${prev ?? ''}`)
            .join(', ')}]`,
        );
      }
      const bomb = await file('bomb.yaml', rows.join('\n'));
      const started = performance.now();
      const r = await sathos(['policy', 'check', bomb, '--json']);
      assert.equal(r.code, 2);
      assert.equal(r.json.code, 'POLICY_INVALID');
      assert.ok(performance.now() - started < 2000);
    });

    void it('exits 2 for a policy file that does not exist', async () => {
      const r = await sathos(['policy', 'check', join(dir, 'nope.yaml'), '--json']);
      assert.equal(r.code, 2);
      assert.equal(r.json.code, 'FILE_UNREADABLE');
    });
  });
});

void describe('sathos policy test', () => {
  void it('exits 0 and prints the decision when every rule is true', async () => {
    const r = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input(GOOD),
      '--stage',
      'test',
      '--json',
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.json.allowed, true);
    assert.equal(r.json.code, 'OK');
    const results = r.json.results as { id: string; passed: boolean }[];
    assert.deepEqual(
      results.map((x) => [x.id, x.passed]),
      [
        ['tests-passed', true],
        ['no-failures', true],
        ['branch-main', true],
      ],
    );
    const p = r.json.policy as { uri: string; digest: { sha256: string } };
    assert.equal(p.digest.sha256, createHash('sha256').update(POLICY).digest('hex'));
  });

  void it('exits 1 naming the one false rule', async () => {
    const failing = { ...GOOD, evidence: { testResult: { result: 'PASSED', failedTests: ['x'] } } };
    const r = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input(failing),
      '--stage',
      'test',
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.json.allowed, false);
    assert.equal(r.json.code, 'POLICY_DENIED');
    const failed = (r.json.results as { id: string; passed: boolean }[]).filter((x) => !x.passed);
    assert.deepEqual(
      failed.map((x) => x.id),
      ['no-failures'],
    );
    const human = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input(failing),
      '--stage',
      'test',
    ]);
    assert.equal(human.code, 1);
    assert.match(human.err, /fail no-failures: no test may fail/);
  });

  void it('exits 1 for a stage the policy does not declare', async () => {
    const r = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input(GOOD),
      '--stage',
      'release',
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.json.allowed, false);
  });

  void it('exits 1, not 2, when a rule reads a field the input lacks', async () => {
    const r = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input({ chain: GOOD.chain }),
      '--stage',
      'test',
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.json.allowed, false);
    const failed = (r.json.results as { id: string; passed: boolean; error?: string }[]).filter(
      (x) => !x.passed,
    );
    assert.deepEqual(
      failed.map((x) => x.id),
      ['tests-passed', 'no-failures'],
    );
    assert.ok(failed.every((x) => typeof x.error === 'string'));
  });

  void it('takes the stage from the input when --stage is absent', async () => {
    const r = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input({ ...GOOD, stage: 'test' }),
      '--json',
    ]);
    assert.equal(r.code, 0, r.out);
  });

  void it("decides matches('^(a+)+$') over 5,000 characters in well under a second", async () => {
    const evil = { ...GOOD, subjects: [{ name: `${'a'.repeat(5000)}!` }] };
    const started = performance.now();
    const r = await sathos([
      'policy',
      'test',
      policy,
      '--input',
      await input(evil),
      '--stage',
      'scan',
      '--json',
    ]);
    assert.equal(r.code, 0, r.out);
    assert.ok(performance.now() - started < 1000);
  });

  void describe('when the policy or input is unusable', () => {
    void it('exits 2 for input that is not a JSON object', async () => {
      const bad = await file('bad.json', '[1, 2');
      const r = await sathos([
        'policy',
        'test',
        policy,
        '--input',
        bad,
        '--stage',
        'test',
        '--json',
      ]);
      assert.equal(r.code, 2);
      assert.equal(r.json.code, 'POLICY_INPUT_INVALID');
    });

    void it('exits 2 for input nested too deeply', async () => {
      const deep = await file('deep.json', `{"x": ${'['.repeat(100)}${']'.repeat(100)}}`);
      const r = await sathos([
        'policy',
        'test',
        policy,
        '--input',
        deep,
        '--stage',
        'test',
        '--json',
      ]);
      assert.equal(r.code, 2);
      assert.equal(r.json.code, 'POLICY_INPUT_INVALID');
    });

    void it('exits 2 without --input, or without a stage', async () => {
      assert.equal((await sathos(['policy', 'test', policy, '--stage', 'test'])).code, 2);
      const r = await sathos(['policy', 'test', policy, '--input', await input(GOOD), '--json']);
      assert.equal(r.code, 2);
      assert.equal(r.json.code, 'USAGE');
    });

    void it('exits 2 for a policy that does not compile', async () => {
      const bad = await file('nonbool.yaml', POLICY.replace("== 'PASSED'", "+ 'PASSED'"));
      const r = await sathos([
        'policy',
        'test',
        bad,
        '--input',
        await input(GOOD),
        '--stage',
        'test',
        '--json',
      ]);
      assert.equal(r.code, 2);
      assert.equal(r.json.allowed, false);
      assert.match(String(r.json.reason), /tests-passed/);
    });

    void it('exits 2 for an unknown action', async () => {
      assert.equal((await sathos(['policy', 'lint', policy])).code, 2);
    });
  });
});

void describe('a policy from another repository at a pinned commit', () => {
  const SHA = 'c'.repeat(40);
  let server: Server;
  let api: string;
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
  const digest = `sha256:${createHash('sha256').update(POLICY).digest('hex')}`;

  void it('checks it and records its API URL and digest', async () => {
    status = 200;
    const r = await sathos([
      'policy',
      'check',
      ref,
      '--github-api',
      api,
      '--policy-digest',
      digest,
      '--json',
    ]);
    assert.equal(r.code, 0, r.out);
    const p = r.json.policy as { uri: string; digest: { sha256: string } };
    assert.equal(p.uri, `${api}/repos/acme/policies/contents/release.yaml?ref=${SHA}`);
    assert.equal(`sha256:${p.digest.sha256}`, digest);
  });

  void it('denies when the digest is not the pinned one (exit 1)', async () => {
    status = 200;
    const r = await sathos([
      'policy',
      'check',
      ref,
      '--github-api',
      api,
      '--policy-digest',
      `sha256:${'0'.repeat(64)}`,
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.json.code, 'POLICY_DIGEST_MISMATCH');
  });

  void it('refuses a branch name as a pin (exit 2)', async () => {
    const r = await sathos([
      'policy',
      'check',
      'github:acme/policies/release.yaml@main',
      '--github-api',
      api,
      '--json',
    ]);
    assert.equal(r.code, 2);
    assert.equal(r.json.code, 'USAGE');
  });

  void it('denies when the server answers 404 or 500', async () => {
    for (const s of [404, 500]) {
      status = s;
      const r = await sathos([
        'policy',
        'test',
        ref,
        '--github-api',
        api,
        '--input',
        await input(GOOD),
        '--stage',
        'test',
        '--json',
      ]);
      assert.equal(r.json.allowed, false);
      assert.equal(r.json.code, 'POLICY_UNAVAILABLE');
      assert.notEqual(r.code, 0);
    }
  });
});
