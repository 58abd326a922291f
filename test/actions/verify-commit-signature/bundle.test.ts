// The committed bundle (dist/index.js, what the runner executes) run as the runner would: a node
// process with INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActionFixture } from './fixture.js';

const BUNDLE = fileURLToPath(
  new URL('../../../actions/verify-commit-signature/dist/index.js', import.meta.url),
);

interface Finished {
  code: number;
  stdout: string;
}

function runBundle(env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE], { env, timeout: 60_000 }, (error, stdout) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
      });
    });
  });
}

void describe('the bundled verify-commit-signature action', () => {
  let fx: ActionFixture;
  let unsigned: string;
  before(() => {
    fx = new ActionFixture();
    unsigned = fx.repo.commit({ signing: { none: true } });
  });
  after(() => {
    fx.dispose();
  });

  const runnerEnv = (
    name: string,
    head: string,
  ): { env: Record<string, string>; output: string; summary: string } => {
    const output = join(fx.work, `${name}-output`);
    const summary = join(fx.work, `${name}-summary`);
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: fx.work,
      ...fx.env('push', fx.pushEvent(fx.commits[0], head), head),
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      'INPUT_ALLOWED-SIGNERS': fx.allowedSigners,
      INPUT_SIGNING: 'key',
      'INPUT_SIGNING-KEY': fx.recordKey.privateKeyPem,
      INPUT_CHAIN: fx.chainPath(name),
      'INPUT_REPOSITORY-PATH': fx.repo.dir,
      'INPUT_GITHUB-TOKEN': 'ghs_unused',
    };
    return { env, output, summary };
  };

  void describe('when every commit is signed by an allowed signer', () => {
    void it('exits 0, writes the outputs and the job summary, and appends the genesis', async () => {
      const { env, output, summary } = runnerEnv('bundle-ok', fx.commits[2]);
      const finished = await runBundle(env);
      assert.equal(finished.code, 0, finished.stdout);
      const outputs = readFileSync(output, 'utf8');
      assert.match(outputs, /genesis-digest<<.*\nsha256:[0-9a-f]{64}\n/);
      assert.ok(outputs.includes(JSON.stringify([fx.commits[1], fx.commits[2]])));
      assert.match(readFileSync(summary, 'utf8'), /<table>.*alice@example\.com/s);
      assert.equal(readFileSync(fx.chainPath('bundle-ok'), 'utf8').trim().split('\n').length, 2);
    });
  });

  void describe('when a commit is unsigned', () => {
    void it('exits 1 with an error annotation naming the commit, and appends nothing', async () => {
      const { env } = runnerEnv('bundle-bad', unsigned);
      const finished = await runBundle(env);
      assert.equal(finished.code, 1);
      assert.match(
        finished.stdout,
        new RegExp(`::error title=Commit signature rejected::commit ${unsigned}: `),
      );
      assert.match(finished.stdout, /::error::COMMIT_REJECTED: /);
      assert.throws(() => readFileSync(fx.chainPath('bundle-bad')), { code: 'ENOENT' });
    });
  });

  void describe('when an input is unusable', () => {
    void it('exits 1 naming the inputs', async () => {
      const { env } = runnerEnv('bundle-usage', fx.commits[2]);
      const finished = await runBundle({ ...env, INPUT_RANGE: 'a..b', INPUT_COMMITS: 'c' });
      assert.equal(finished.code, 1);
      assert.match(
        finished.stdout,
        /::error::USAGE: inputs "range" and "commits" are mutually exclusive/,
      );
    });
  });
});
