// The bundle's plugins on a small program: an optional dependency left out throws where it is
// required (so the library's own try/catch takes its fallback), and a workspace module whose
// exports nothing uses leaves the bundle with everything it imported.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { leaveOutOptional, sideEffectFree } from './bundle-plugins.js';

void describe('bundle plugins', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sathos-plugins-'));
    await mkdir(join(root, 'packages', 'lib', 'src'), { recursive: true });
    await writeFile(
      join(root, 'packages', 'lib', 'src', 'used.ts'),
      'export const used = "USED_MARK";\n',
    );
    await writeFile(
      join(root, 'packages', 'lib', 'src', 'unused.ts'),
      'export const unused = "UNUSED_MARK"; console.log("UNUSED_MARK");\n',
    );
    await writeFile(
      join(root, 'packages', 'lib', 'src', 'index.ts'),
      "export { used } from './used.js';\nexport { unused } from './unused.js';\n",
    );
    await writeFile(
      join(root, 'entry.ts'),
      [
        "import { used } from './packages/lib/src/index.js';",
        'let decoded = "fallback";',
        "try { decoded = require('iconv-lite').decode; } catch (error) { decoded = String(error); }",
        'console.log(used, decoded);',
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
      format: 'cjs',
      write: false,
      logLevel: 'silent',
      plugins: [sideEffectFree(root), leaveOutOptional()],
    });
    return result.outputFiles[0]?.text ?? '';
  }

  void it('drops a workspace module nothing uses, side effects and all', async () => {
    const text = await bundled();
    assert.match(text, /USED_MARK/);
    assert.doesNotMatch(text, /UNUSED_MARK/);
  });

  void it('leaves an optional dependency out: requiring it throws, naming it', async () => {
    const lines: string[] = [];
    runInNewContext(await bundled(), {
      console: { log: (...parts: unknown[]) => lines.push(parts.map(String).join(' ')) },
    });
    assert.deepEqual(lines, ['USED_MARK Error: iconv-lite is left out of this bundle']);
  });
});
