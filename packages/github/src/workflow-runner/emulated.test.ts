import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSathosError } from '@sathos/core';
import { jobPath, runEmulated, type EmulationContext } from './emulated.js';

const refused = (e: unknown) => isSathosError(e) && e.code === 'WORKFLOW_INVALID';

void describe('the emulated first-party actions', () => {
  let root: string;
  let ctx: EmulationContext;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sathos-emulated-'));
    const dirs = { workspace: join(root, 'ws'), temp: join(root, 'tmp') };
    for (const d of [dirs.workspace, dirs.temp, join(root, 'artifacts')]) mkdirSync(d);
    ctx = {
      dirs,
      repositories: {},
      repository: 'o/r',
      sha: 'a'.repeat(40),
      artifactsDir: join(root, 'artifacts'),
    };
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  void it('keeps every path inside the job workspace or temp directory', () => {
    assert.equal(jobPath(ctx.dirs, 'dist/a', 'w'), join(ctx.dirs.workspace, 'dist/a'));
    assert.equal(jobPath(ctx.dirs, join(ctx.dirs.temp, 'x'), 'w'), join(ctx.dirs.temp, 'x'));
    for (const outside of ['../escape', '/etc/passwd', join(root, 'artifacts')])
      assert.throws(() => jobPath(ctx.dirs, outside, 'w'), refused, outside);
  });

  void it('refuses an artifact name that is a path, a second upload of a name, an unknown input', async () => {
    writeFileSync(join(ctx.dirs.workspace, 'f.txt'), 'x');
    await runEmulated('actions/upload-artifact', { name: 'one', path: 'f.txt' }, ctx, 'w');
    await assert.rejects(
      runEmulated('actions/upload-artifact', { name: 'one', path: 'f.txt' }, ctx, 'w'),
      refused,
    );
    await assert.rejects(
      runEmulated('actions/upload-artifact', { name: '../x', path: 'f.txt' }, ctx, 'w'),
      refused,
    );
    await assert.rejects(
      runEmulated('actions/upload-artifact', { name: 'g', path: '*.txt' }, ctx, 'w'),
      refused,
    );
    await assert.rejects(
      runEmulated('actions/download-artifact', { name: 'missing' }, ctx, 'w'),
      refused,
    );
    await assert.rejects(runEmulated('actions/checkout', { token: 'x' }, ctx, 'w'), refused);
    await assert.rejects(
      runEmulated('actions/checkout', { repository: 'other/repo' }, ctx, 'w'),
      refused,
    );
  });
});
