import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateActionYmls, generateBundles } from './generate.js';
import { makeFixture, removeFixture } from './test-fixture.js';

void describe('generated files', () => {
  const roots: string[] = [];
  before(async () => {
    roots.push(await makeFixture(), await makeFixture());
  });
  after(async () => {
    for (const root of roots) await removeFixture(root);
  });

  void describe('when the same sources are built twice, in two different directories', () => {
    void it('produces byte-identical bundles and action.yml files', async () => {
      const [first, second] = roots;
      assert.ok(first !== undefined && second !== undefined);
      const quiet = (): void => undefined;
      const again = await generateBundles(first, quiet);
      assert.deepEqual(await generateBundles(first, quiet), again);
      assert.deepEqual(await generateBundles(second, quiet), again);
      assert.deepEqual(await generateActionYmls(second), await generateActionYmls(first));
    });
  });

  void describe('when the CLI entry point does not exist yet', () => {
    void it('skips the CLI bundle and says so', async () => {
      const lines: string[] = [];
      const files = await generateBundles(roots[0] ?? '', (line) => lines.push(line));
      assert.deepEqual(
        files.map((file) => file.path),
        ['actions/hello/dist/index.js'],
      );
      assert.deepEqual(lines, [
        'skipping packages/cli/dist/sathos.js: packages/cli/src/bin.ts does not exist yet',
      ]);
    });
  });

  void describe('when an action directory has no src/index.ts', () => {
    void it('fails naming the missing file', async () => {
      const root = roots[0] ?? '';
      await mkdir(join(root, 'actions/broken'), { recursive: true });
      try {
        await assert.rejects(
          generateBundles(root, () => undefined),
          {
            message: /^actions\/broken\/src\/index\.ts is missing/,
          },
        );
      } finally {
        await rm(join(root, 'actions/broken'), { recursive: true });
      }
    });
  });

  void describe('when a source has a syntax error', () => {
    void it('fails naming the entry point', async () => {
      const root = roots[1] ?? '';
      await writeFile(join(root, 'actions/hello/src/greet.ts'), 'export const = ;\n');
      await assert.rejects(
        generateBundles(root, () => undefined, 'silent'),
        {
          message: /^esbuild could not bundle actions\/hello\/src\/index\.ts/,
        },
      );
    });
  });
});
