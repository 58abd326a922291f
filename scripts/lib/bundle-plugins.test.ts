// The side-effect plugin on a small program: a workspace module whose exports nothing uses leaves
// the bundle with everything it imported, and so does a module inside a package listed in
// SIDE_EFFECT_FREE_INSIDE — while the same module in any other package stays, side effects and all.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { SIDE_EFFECT_FREE_INSIDE, sideEffectFree } from './bundle-plugins.js';

async function put(root: string, path: string, text: string): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
}

// A package whose index re-exports a used module and one with a side effect nothing uses.
async function putPackage(root: string, name: string, mark: string): Promise<void> {
  await put(root, `node_modules/${name}/package.json`, `{ "name": "${name}", "main": "index.js" }`);
  await put(
    root,
    `node_modules/${name}/index.js`,
    "export { used } from './used.js';\nexport { heavy } from './heavy.js';\n",
  );
  await put(root, `node_modules/${name}/used.js`, `export const used = "${mark}_USED";\n`);
  await put(
    root,
    `node_modules/${name}/heavy.js`,
    `globalThis.loaded = "${mark}_HEAVY";\nexport const heavy = 1;\n`,
  );
}

void describe('sideEffectFree', () => {
  let root = '';
  const listed = SIDE_EFFECT_FREE_INSIDE[0] ?? '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sathos-plugins-'));
    await put(root, 'packages/lib/src/used.ts', 'export const used = "USED_MARK";\n');
    await put(
      root,
      'packages/lib/src/unused.ts',
      'export const unused = "UNUSED_MARK"; console.log("UNUSED_MARK");\n',
    );
    await put(
      root,
      'packages/lib/src/index.ts',
      "export { used } from './used.js';\nexport { unused } from './unused.js';\n",
    );
    await putPackage(root, listed, 'LISTED');
    await putPackage(root, 'other-package', 'OTHER');
    // A package installed inside the listed one's own node_modules is not the listed package.
    await putPackage(root, `${listed}/node_modules/nested-package`, 'NESTED');
    await put(
      root,
      'entry.ts',
      [
        "import { used } from './packages/lib/src/index.js';",
        `import { used as listed } from '${listed}';`,
        "import { used as other } from 'other-package';",
        `import { used as nested } from './node_modules/${listed}/node_modules/nested-package/index.js';`,
        'console.log(used, listed, other, nested);',
      ].join('\n'),
    );
  });
  after(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  async function bundled(): Promise<string> {
    const result = await build({
      absWorkingDir: root,
      entryPoints: ['entry.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [sideEffectFree(root)],
    });
    return result.outputFiles[0]?.text ?? '';
  }

  void it('drops a workspace module nothing uses, side effects and all', async () => {
    const text = await bundled();
    assert.match(text, /USED_MARK/);
    assert.doesNotMatch(text, /UNUSED_MARK/);
  });

  void it('drops an unused module inside a listed package, and only there', async () => {
    const text = await bundled();
    assert.match(text, /LISTED_USED/);
    assert.doesNotMatch(text, /LISTED_HEAVY/);
    assert.match(text, /OTHER_USED/);
    assert.match(text, /OTHER_HEAVY/, 'an unlisted package keeps its side effects');
    assert.match(
      text,
      /NESTED_HEAVY/,
      'a package nested inside a listed one keeps its side effects',
    );
  });
});
