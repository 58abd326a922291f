// Every fixture under test/fixtures/workflows is a repository tree with one known weakness (or
// none): committed to a real git repository, read at that commit, judged by the baseline. The
// findings must be exactly the expected ones, at the right file, line and job.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { baselinePolicy, evaluatePosture, postureFindings } from '@sathos/core';
import { collectPosture, openGitSource } from '@sathos/github/posture';

const FIXTURES = new URL('../fixtures/workflows/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sathos-posture-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Expected {
  readonly allowed: boolean;
  readonly findings: readonly {
    rule: string;
    severity: string;
    file: string;
    line: number;
    job: string;
  }[];
  readonly failed: readonly string[];
}

/** A git repository holding the fixture's tree in one commit. */
export function commitTree(tree: string, name: string): string {
  const dir = join(work, name);
  cpSync(tree, dir, { recursive: true, filter: (src) => !src.endsWith('expect.json') });
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' },
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'fixture');
  return dir;
}

for (const name of readdirSync(FIXTURES).sort()) {
  test(`fixture ${name}: flagged where expected and decided by the baseline`, async () => {
    const expected = JSON.parse(
      readFileSync(join(FIXTURES, name, 'expect.json'), 'utf8'),
    ) as Expected;
    const dir = commitTree(join(FIXTURES, name), name);
    const source = await openGitSource(dir);
    const model = await collectPosture(source, { repository: 'acme/app' }).finally(() => {
      source.close();
    });
    const findings = postureFindings(model);
    const got = findings.map(({ rule, severity, file, line, job }) => ({
      rule,
      severity,
      file,
      line,
      job,
    }));
    const key = (f: { rule: string; line: number; job: string }): string =>
      `${f.line}:${f.rule}:${f.job}`;
    assert.deepEqual(
      [...got].sort((a, b) => key(a).localeCompare(key(b))),
      [...expected.findings].sort((a, b) => key(a).localeCompare(key(b))),
    );
    const decision = evaluatePosture(baselinePolicy(), { model, findings });
    const failed = decision.results.filter((r) => !r.passed).map((r) => r.id);
    assert.deepEqual([...failed].sort(), [...expected.failed].sort());
    assert.equal(decision.allowed, expected.allowed);
  });
}
