import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { compareWithDisk, describeFindings } from './check-dist.js';
import {
  generateActionYmls,
  generateBundles,
  writeGenerated,
  type GeneratedFile,
} from './generate.js';
import { makeFixture, removeFixture } from './test-fixture.js';

const run = promisify(execFile);
const quiet = (): void => undefined;

async function generateAll(root: string): Promise<GeneratedFile[]> {
  return [...(await generateBundles(root, quiet)), ...(await generateActionYmls(root))];
}

async function check(root: string) {
  return compareWithDisk(root, await generateAll(root));
}

void describe('check-dist', () => {
  let root = '';
  before(async () => {
    root = await makeFixture({ cli: true });
  });
  after(async () => {
    await removeFixture(root);
  });

  void describe('when nothing has been built', () => {
    void it('names every generated file as missing', async () => {
      assert.deepEqual(await check(root), [
        { path: 'actions/hello/dist/index.js', problem: 'missing' },
        { path: 'packages/cli/dist/sathos.js', problem: 'missing' },
        { path: 'actions/hello/action.yml', problem: 'missing' },
      ]);
    });
  });

  void describe('when the build output is fresh', () => {
    before(async () => {
      await writeGenerated(root, await generateAll(root));
    });

    void it('finds nothing to report', async () => {
      assert.deepEqual(await check(root), []);
      assert.deepEqual(describeFindings([]), []);
    });

    void it('writes a bundle that runs, including a bundled CommonJS dependency and JSON', async () => {
      const { stdout } = await run(process.execPath, [join(root, 'actions/hello/dist/index.js')]);
      assert.equal(stdout, 'hello fixture a/b\n');
    });

    void it('writes the CLI bundle executable, with a shebang', async () => {
      const { stdout } = await run(join(root, 'packages/cli/dist/sathos.js'), [], {
        env: {
          ...process.env,
          PATH: `${join(process.execPath, '..')}:${process.env['PATH'] ?? ''}`,
        },
      });
      assert.equal(stdout, 'sathos fixture\n');
    });
  });

  void describe('when a source changed after the build', () => {
    void it('names the bundle as stale and tells the user to run npm run build', async () => {
      const source = join(root, 'actions/hello/src/greet.ts');
      const original = await readFile(source, 'utf8');
      await writeFile(source, original.replace('hello', 'goodbye'));
      try {
        const findings = await check(root);
        assert.deepEqual(findings, [{ path: 'actions/hello/dist/index.js', problem: 'stale' }]);
        assert.deepEqual(describeFindings(findings), [
          'check-dist: actions/hello/dist/index.js is stale',
          'check-dist: run `npm run build` and commit the result',
        ]);
      } finally {
        await writeFile(source, original);
      }
    });
  });

  void describe('when action.yml was edited by hand', () => {
    void it('names the action.yml as stale', async () => {
      const actionYml = join(root, 'actions/hello/action.yml');
      const original = await readFile(actionYml, 'utf8');
      await writeFile(actionYml, original.replace('Says hello', 'Says hi'));
      try {
        assert.deepEqual(await check(root), [
          { path: 'actions/hello/action.yml', problem: 'stale' },
        ]);
      } finally {
        await writeFile(actionYml, original);
      }
    });
  });

  void describe('when the template changed after the build', () => {
    void it('names the action.yml as stale', async () => {
      const template = join(root, 'action-template.yml');
      const original = await readFile(template, 'utf8');
      await writeFile(template, original.replace('color: green', 'color: blue'));
      try {
        assert.deepEqual(await check(root), [
          { path: 'actions/hello/action.yml', problem: 'stale' },
        ]);
      } finally {
        await writeFile(template, original);
      }
    });
  });

  void describe('when a committed bundle was deleted', () => {
    void it('names it as missing', async () => {
      const bundlePath = join(root, 'actions/hello/dist/index.js');
      const original = await readFile(bundlePath);
      await rm(bundlePath);
      try {
        assert.deepEqual(await check(root), [
          { path: 'actions/hello/dist/index.js', problem: 'missing' },
        ]);
      } finally {
        await writeFile(bundlePath, original);
      }
    });
  });

  void describe('when the CLI bundle lost its executable bit', () => {
    void it('names it as not executable', async () => {
      const cli = join(root, 'packages/cli/dist/sathos.js');
      await chmod(cli, 0o644);
      try {
        assert.deepEqual(await check(root), [
          { path: 'packages/cli/dist/sathos.js', problem: 'not executable' },
        ]);
      } finally {
        await chmod(cli, 0o755);
      }
    });
  });
});
