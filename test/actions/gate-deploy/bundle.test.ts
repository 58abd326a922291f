// The committed bundle (dist/index.js, what the runner executes) starts and fails cleanly: with no
// inputs, or with a chain that does not exist, it prints one ::error:: line naming what is wrong,
// exits 1, and writes nothing but the failure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE = fileURLToPath(
  new URL('../../../actions/gate-deploy/dist/index.js', import.meta.url),
);

function runBundle(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE], { env, timeout: 120_000 }, (error, stdout) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
      });
    });
  });
}

void describe('the bundled gate-deploy action', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'sathos-gate-bundle-'));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  void it('fails with one ::error:: line naming the missing input when run with none', async () => {
    const { code, stdout } = await runBundle({ PATH: process.env.PATH ?? '', HOME: work });
    assert.equal(code, 1);
    const errors = stdout.split('\n').filter((l) => l.startsWith('::error'));
    assert.equal(errors.length, 1, stdout);
    assert.match(errors[0] ?? '', /input "environment" is required/);
  });

  void it('denies without requesting a token when the runner has no id-token permission', async () => {
    writeFileSync(join(work, 'policy.yaml'), 'not a policy');
    const { code, stdout } = await runBundle({
      PATH: process.env.PATH ?? '',
      HOME: work,
      INPUT_ENVIRONMENT: 'production',
      INPUT_POLICY: join(work, 'policy.yaml'),
      'INPUT_ARTIFACT-PATH': 'app.tar',
      INPUT_RUN: 'echo deployed',
      INPUT_SIGNING: 'keyless',
    });
    assert.equal(code, 1);
    assert.match(stdout, /::error::USAGE: .*id-token: write/);
    assert.doesNotMatch(stdout, /deployed/);
  });
});
