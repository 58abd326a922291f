// The guard's Actions-cache path, bundled as the actions are (the same plugins and tree-shaking:
// SIDE_EFFECT_FREE_INSIDE drops modules of @azure/storage-common, STUBBED_IMPORTS undici's
// ProxyAgent), still runs: @actions/cache's own Azure upload and download, and its plain HTTP
// download, carry an archive through a loopback blob service byte for byte. A module shaken out that
// the path needs would show here as a throw, not in a workflow run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { sideEffectFree, stubImports } from './bundle-plugins.js';

const root = process.cwd();
const internal = (file: string): string =>
  join(root, 'node_modules/@actions/cache/lib/internal', file);

interface CachePath {
  uploadCacheArchiveSDK(
    url: string,
    archivePath: string,
    options: { uploadConcurrency: number; uploadChunkSize: number },
  ): Promise<{ _response: { status: number } }>;
  downloadCacheStorageSDK(
    url: string,
    archivePath: string,
    options: { timeoutInMs: number; downloadConcurrency: number; segmentTimeoutInMs: number },
  ): Promise<void>;
  downloadCacheHttpClient(url: string, archivePath: string): Promise<void>;
  saveCache: unknown;
  restoreCache: unknown;
}

// A blob service as much as the SDK asks of it: Put Blob, Get Blob Properties, ranged Get Blob.
function blobService(): Server {
  const blobs = new Map<string, Buffer>();
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://blob').pathname;
      if (req.method === 'PUT') {
        blobs.set(path, Buffer.concat(chunks));
        res.writeHead(201, { etag: '"1"' }).end();
        return;
      }
      const blob = blobs.get(path);
      if (blob === undefined) {
        res.writeHead(404).end();
        return;
      }
      const headers = { etag: '"1"', 'x-ms-blob-type': 'BlockBlob' };
      if (req.method === 'HEAD') {
        res.writeHead(200, { ...headers, 'content-length': blob.length }).end();
        return;
      }
      const range = /bytes=(\d+)-(\d*)/.exec(
        String(req.headers['x-ms-range'] ?? req.headers.range ?? ''),
      );
      const first = range === null ? 0 : Number(range[1]);
      const last = range?.[2] ? Math.min(Number(range[2]), blob.length - 1) : blob.length - 1;
      res
        .writeHead(range === null ? 200 : 206, {
          ...headers,
          'content-length': last - first + 1,
          'content-range': `bytes ${first}-${last}/${blob.length}`,
        })
        .end(blob.subarray(first, last + 1));
    });
  });
}

void describe("the guard's cache path in a bundle built like the actions'", () => {
  let dir = '';
  let bundle = '';
  let cache: CachePath;
  let server: Server;
  let url = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-cache-bundle-'));
    const result = await build({
      absWorkingDir: root,
      stdin: {
        contents: [
          `export { uploadCacheArchiveSDK } from ${JSON.stringify(internal('uploadUtils.js'))};`,
          `export { downloadCacheStorageSDK, downloadCacheHttpClient } from ${JSON.stringify(internal('downloadUtils.js'))};`,
          "export { saveCache, restoreCache } from '@actions/cache';",
        ].join('\n'),
        resolveDir: root,
        sourcefile: 'cache-entry.js',
        loader: 'js',
      },
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      banner: {
        js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);",
      },
      minify: true,
      keepNames: true,
      treeShaking: true,
      write: false,
      logLevel: 'silent',
      plugins: [stubImports(), sideEffectFree(root)],
    });
    bundle = result.outputFiles[0]?.text ?? '';
    const file = join(dir, 'cache.mjs');
    await writeFile(file, bundle);
    cache = (await import(pathToFileURL(file).href)) as CachePath;
    server = blobService();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cache/archive?sig=x`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  void it('leaves the CRC64 WebAssembly module out and keeps saveCache and restoreCache', () => {
    assert.doesNotMatch(bundle, /WebAssembly/);
    assert.equal(typeof cache.saveCache, 'function');
    assert.equal(typeof cache.restoreCache, 'function');
  });

  void it('uploads an archive with the Azure SDK and downloads it both ways, unchanged', async () => {
    const archive = randomBytes(9 * 1024 * 1024);
    const source = join(dir, 'in.tzst');
    await writeFile(source, archive);
    const put = await cache.uploadCacheArchiveSDK(url, source, {
      uploadConcurrency: 2,
      uploadChunkSize: 4 * 1024 * 1024,
    });
    assert.equal(put._response.status, 201);
    const bySdk = join(dir, 'sdk.tzst');
    await cache.downloadCacheStorageSDK(url, bySdk, {
      timeoutInMs: 10_000,
      downloadConcurrency: 2,
      segmentTimeoutInMs: 30_000,
    });
    assert.ok((await readFile(bySdk)).equals(archive), 'the SDK download differs');
    const byHttp = join(dir, 'http.tzst');
    await cache.downloadCacheHttpClient(url, byHttp);
    assert.ok((await readFile(byHttp)).equals(archive), 'the HTTP client download differs');
  });
});
