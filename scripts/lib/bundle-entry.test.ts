// An action with src/main.ts is two bundles: the entry (dist/index.js) holding only what reading the
// inputs needs, which imports './main.js' at run time, and the main with its chunks. These tests
// build a fixture whose entry and main share a barrel with named re-exports — the shape that, in
// one split build, put the main's heavy modules in a chunk every cold start loaded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  generateBundles,
  ownedDirectories,
  writeGenerated,
  type GeneratedFile,
} from './generate.js';
import { bundleTargets } from './targets.js';
import { makeFixture, removeFixture } from './test-fixture.js';

const run = promisify(execFile);
const quiet = (): void => undefined;
const text = (file: GeneratedFile): string => new TextDecoder().decode(file.contents);

void describe('an action entry bundled apart from its main', () => {
  let root = '';
  let files: GeneratedFile[] = [];
  const split = (): GeneratedFile[] => files.filter((f) => f.path.startsWith('actions/split/'));
  before(async () => {
    root = await makeFixture({ main: true });
    files = await generateBundles(root, quiet);
    await writeGenerated(root, files);
  });
  after(async () => {
    await removeFixture(root);
  });

  void it('is two targets, only the main split into chunks', async () => {
    const targets = (await bundleTargets(root, quiet)).filter((t) =>
      t.source.startsWith('actions/split/'),
    );
    assert.deepEqual(
      targets.map((t) => [t.source, t.outfile, t.split, t.siblings]),
      [
        ['actions/split/src/index.ts', 'actions/split/dist/index.js', false, ['./main.js']],
        ['actions/split/src/main.ts', 'actions/split/dist/main.js', true, undefined],
      ],
    );
    assert.deepEqual(await ownedDirectories(root, quiet), [
      'actions/hello/dist',
      'actions/split/dist',
    ]);
  });

  void it('keeps the heavy module out of the entry, which imports only ./main.js', () => {
    const entry = split().find((f) => f.path === 'actions/split/dist/index.js');
    assert.ok(entry !== undefined);
    assert.ok(!text(entry).includes('heavy-module-marker'));
    assert.doesNotMatch(text(entry), /from\s*"\.\//);
    assert.match(text(entry), /import\("\.\/main\.js"\)/);
    const main = split().filter((f) => text(f).includes('heavy-module-marker'));
    assert.deepEqual(
      main.map((f) => f.path),
      ['actions/split/dist/main.js'],
    );
  });

  void it('runs: an input error without main, a usable input through main', async () => {
    const entry = join(root, 'actions/split/dist/index.js');
    const failed = await run(process.execPath, [entry], { env: { PATH: process.env.PATH } });
    assert.equal(failed.stdout, '::error::USAGE: input "who" is required\n');
    const ran = await run(process.execPath, [entry], {
      env: { PATH: process.env.PATH, INPUT_WHO: 'you' },
    });
    assert.equal(ran.stdout, 'hello you 28 x\n');
  });
});
