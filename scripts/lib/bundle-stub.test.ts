// The stubbed imports: @actions/http-client's `import { ProxyAgent } from 'undici'` gets a stand-in,
// so undici leaves the bundle; the client still loads, and constructing the stand-in throws naming
// what was left out; @sigstore/sign's make-fetch-happen is replaced by sigstore-fetch.ts. Any other
// importer still gets the real package.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { stubImports } from './bundle-plugins.js';

async function put(root: string, path: string, text: string): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
}

void describe('stubImports', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sathos-stub-'));
    await put(root, 'node_modules/undici/package.json', '{ "name": "undici", "main": "index.js" }');
    await put(
      root,
      'node_modules/undici/index.js',
      'exports.ProxyAgent = class { real = "REAL_UNDICI"; };',
    );
    await put(
      root,
      'node_modules/@actions/http-client/package.json',
      '{ "name": "@actions/http-client", "main": "index.js" }',
    );
    await put(
      root,
      'node_modules/@actions/http-client/index.js',
      "import { ProxyAgent } from 'undici';\nexport const client = 'loaded';\nexport const dispatcher = () => new ProxyAgent();\n",
    );
    await put(
      root,
      'node_modules/make-fetch-happen/package.json',
      '{ "name": "make-fetch-happen", "main": "index.js" }',
    );
    await put(
      root,
      'node_modules/make-fetch-happen/index.js',
      'module.exports = () => "REAL_MFH";',
    );
    await put(
      root,
      'node_modules/@sigstore/sign/package.json',
      '{ "name": "@sigstore/sign", "main": "index.js" }',
    );
    await put(
      root,
      'node_modules/@sigstore/sign/index.js',
      "const fetch = require('make-fetch-happen');\nexports.fetcher = fetch.default ?? fetch;\n",
    );
  });
  after(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  async function run(entry: string): Promise<{ code: string; out: string[] }> {
    await writeFile(join(root, 'entry.js'), entry);
    const result = await build({
      absWorkingDir: root,
      entryPoints: ['entry.js'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      plugins: [stubImports()],
    });
    const code = result.outputFiles[0]?.text ?? '';
    const out: string[] = [];
    runInNewContext(code, { console: { log: (line: string) => out.push(line) } });
    return { code, out };
  }

  void it('replaces undici for @actions/http-client: it loads, and a proxy dispatcher throws naming the stub', async () => {
    const { code, out } = await run(
      "import { client, dispatcher } from '@actions/http-client';\nconsole.log(client);\ntry { dispatcher(); } catch (e) { console.log(e.message); }\n",
    );
    assert.ok(!code.includes('REAL_UNDICI'), 'undici itself was bundled');
    assert.equal(out[0], 'loaded');
    assert.match(out[1] ?? '', /undici's ProxyAgent is left out of this bundle/);
  });

  void it('leaves undici alone for any other importer', async () => {
    const { code, out } = await run(
      "import { ProxyAgent } from 'undici';\nconsole.log(new ProxyAgent().real);\n",
    );
    assert.ok(code.includes('REAL_UNDICI'));
    assert.deepEqual(out, ['REAL_UNDICI']);
  });

  void it("replaces make-fetch-happen for @sigstore/sign with sigstore-fetch.ts, Node's fetch", async () => {
    const { code, out } = await run(
      "import { fetcher } from '@sigstore/sign';\nconsole.log(fetcher.name + ' ' + typeof fetcher);\n",
    );
    assert.ok(!code.includes('REAL_MFH'), 'make-fetch-happen itself was bundled');
    assert.match(code, /SigstoreFetchError/);
    assert.deepEqual(out, ['sigstoreFetch function']);
  });

  void it('leaves make-fetch-happen alone for any other importer', async () => {
    const { out } = await run("import fetch from 'make-fetch-happen';\nconsole.log(fetch());\n");
    assert.deepEqual(out, ['REAL_MFH']);
  });
});
