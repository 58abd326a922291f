// The README's workflow reads who may sign from the base branch's verified commit. With a `push:`
// trigger there is no pull request base: `git show ":path"` would read the pushed version and the
// pusher would approve their own key. The step's script is taken from README.md as written and run
// with bash in a real repository for each event; where no verified commit exists it must fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestRepo } from '../../commits/repo-builder.js';

const ZERO = '0'.repeat(40);
const FILE = '.github/allowed_signers';

/** The `run: |` block of the README step named "Allowed signers as the base branch has them". */
function readmeScript(): string {
  const lines = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').split('\n');
  const step = lines.findIndex((l) =>
    l.includes('name: Allowed signers as the base branch has them'),
  );
  const start = lines.findIndex((l, i) => i > step && /^\s+run: \|$/.test(l));
  assert.ok(step >= 0 && start > step, 'README.md has the step and its run block');
  const indent = (lines[start + 1] ?? '').search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join('\n');
}

describe("the README's allowed-signers step", () => {
  let repo: TestRepo;
  let temp: string;
  let verified: string;
  let pushed: string;
  const script = readmeScript();

  /** Runs the step; returns the allowed_signers it wrote, or undefined when it failed. */
  function step(env: Record<string, string>): string | undefined {
    rmSync(join(temp, 'allowed_signers'), { force: true });
    const result = spawnSync('bash', ['-c', script], {
      cwd: repo.dir,
      env: { PATH: process.env.PATH, HOME: repo.home, RUNNER_TEMP: temp, BASE: '', ...env },
      encoding: 'utf8',
    });
    if (result.status !== 0) return undefined;
    return readFileSync(join(temp, 'allowed_signers'), 'utf8');
  }

  const push = (ref: string, before = ZERO): Record<string, string> => ({
    EVENT: 'push',
    REF: ref,
    BEFORE: before,
    DEFAULT_BRANCH: 'main',
  });

  before(() => {
    repo = TestRepo.create();
    temp = mkdtempSync(join(tmpdir(), 'sathos-readme-'));
    verified = repo.commit({ signing: { none: true }, files: { [FILE]: 'alice\n' } });
    repo.git(['update-ref', 'refs/remotes/origin/main', verified]);
    pushed = repo.commit({ signing: { none: true }, files: { [FILE]: 'mallory\n' } });
  });

  after(() => {
    repo.dispose();
    rmSync(temp, { recursive: true, force: true });
  });

  it('a pull request reads its base', () => {
    assert.equal(step({ BASE: verified, EVENT: 'pull_request' }), 'alice\n');
  });

  it('a push to another branch reads the default branch, not the pushed signers', () => {
    assert.equal(step(push('refs/heads/feature', verified)), 'alice\n');
  });

  it('a push to the default branch reads its previous tip, not the pushed signers', () => {
    assert.equal(step(push('refs/heads/main', verified)), 'alice\n');
  });

  it('fails when there is no verified commit to read', () => {
    assert.equal(step(push('refs/heads/main', ZERO)), undefined, 'the default branch created');
    assert.equal(step({ EVENT: 'pull_request' }), undefined, 'no base named');
    repo.git(['update-ref', '-d', 'refs/remotes/origin/main']);
    repo.git(['tag', 'refs/remotes/origin/main', pushed]);
    assert.equal(step(push('refs/heads/feature', verified)), undefined, 'only a look-alike tag');
  });
});
