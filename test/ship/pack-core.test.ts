// The publishable @sathos/core: `npm run pack:core` compiles with tsc and packs a manifest whose
// exports name the compiled files. The tarball holds JavaScript and declarations only (no
// TypeScript sources, no tests), and the staged package imports and verifies as a library would.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stage = join(root, 'build', 'pack', 'core');

void describe('the packed core library', () => {
  let work = '';
  let files: string[] = [];
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sathos-core-pack-'));
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts', 'pack-core.ts'), work],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
    );
    const { stdout: list } = await run('tar', ['-tzf', stdout.trim()]);
    files = list.split('\n').filter((line) => line !== '');
  });
  after(async () => {
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  void it('holds compiled JavaScript and declarations, no sources and no tests', () => {
    assert.ok(files.includes('package/build/index.js'));
    assert.ok(files.includes('package/build/index.d.ts'));
    const foreign = files.filter(
      (file) =>
        file !== 'package/package.json' &&
        (!/^package\/build\/.+\.(js|d\.ts|json)$/.test(file) || /\.test\.(js|d\.ts)$/.test(file)),
    );
    assert.deepEqual(foreign, []);
  });

  void it('publishes exports on build/ and is not private', async () => {
    const manifest = JSON.parse(await readFile(join(stage, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(manifest.private, undefined);
    assert.deepEqual(manifest.exports, {
      '.': { types: './build/index.d.ts', default: './build/index.js' },
    });
  });

  void it('imports from build/ alone, as a library would: the verifier and the error type load', async () => {
    const core = (await import(pathToFileURL(join(stage, 'build', 'index.js')).href)) as Record<
      string,
      unknown
    >;
    assert.equal(typeof core.SathosError, 'function');
    assert.equal(typeof core.createBundleVerifier, 'function');
  });
});
