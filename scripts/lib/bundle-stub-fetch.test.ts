// The cacache stand-in under the real HTTP client: @sigstore/sign's fetchWithRetry (what its Fulcio,
// Rekor and TSA clients call) and make-fetch-happen are bundled with stubImports(), as the action
// and CLI bundles are, and sent against a loopback server the requests Sigstore clients make —
// POSTs answered 201, a POST redirected (307 keeps it, 303 turns it into a GET), a GET redirected to
// a response that asks to be cached for an hour, and a 4xx. None of them may reach the stand-in (it
// throws on any use); only a request that itself names a cachePath does, and then it fails with the
// one message that names what was left out, never a crash deeper in.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { stubImports } from './bundle-plugins.js';

interface Bundled {
  fetchWithRetry: (
    url: string,
    options: {
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      retry?: number;
      timeout?: number;
    },
  ) => Promise<{ status: number; json: () => Promise<unknown>; text: () => Promise<string> }>;
  makeFetchHappen: (
    url: string,
    options: Record<string, unknown>,
  ) => Promise<{ status: number; text: () => Promise<string> }>;
}

void describe('the cacache stand-in under make-fetch-happen and @sigstore/sign', () => {
  let dir = '';
  let server: Server;
  let base = '';
  let bundled: Bundled;
  let bundle = '';
  const seen: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-stub-fetch-'));
    const result = await build({
      stdin: {
        contents: [
          "exports.fetchWithRetry = require('@sigstore/sign/dist/external/fetch.js').fetchWithRetry;",
          "exports.makeFetchHappen = require('make-fetch-happen');",
        ].join('\n'),
        resolveDir: process.cwd(),
        loader: 'js',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
      plugins: [stubImports()],
    });
    bundle = result.outputFiles[0]?.text ?? '';
    const file = join(dir, 'fetch.cjs');
    await writeFile(file, bundle);
    bundled = createRequire(import.meta.url)(file) as Bundled;

    server = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
      const moved: Record<string, [number, string]> = {
        '/moved-307': [307, '/api/v1/log/entries'],
        '/moved-303': [303, '/cacheable'],
        '/moved-302': [302, '/cacheable'],
      };
      const redirect = moved[req.url ?? ''];
      if (redirect !== undefined) {
        res.writeHead(redirect[0], { location: redirect[1] }).end();
      } else if (req.url === '/api/v1/log/entries') {
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"logged":true}');
      } else if (req.url === '/cacheable') {
        res.writeHead(200, { 'cache-control': 'public, max-age=3600', etag: '"v1"' });
        res.end('cache me');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  void it('bundles the stand-in, not cacache', () => {
    assert.match(bundle, /cacache is left out of this bundle/);
    // cacache's own index code (make-fetch-happen's calls into it remain, and go to the stand-in).
    assert.doesNotMatch(bundle, /function lsStream|async function compact/);
  });

  void it('serves Sigstore-style POSTs, their redirects and errors without touching the cache', async () => {
    const post = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } };
    const created = await bundled.fetchWithRetry(`${base}/api/v1/log/entries`, post);
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { logged: true });

    const kept = await bundled.fetchWithRetry(`${base}/moved-307`, post);
    assert.equal(kept.status, 201);

    const turned = await bundled.fetchWithRetry(`${base}/moved-303`, post);
    assert.equal(await turned.text(), 'cache me');

    const got = await bundled.fetchWithRetry(`${base}/moved-302`, { method: 'GET' });
    assert.equal(await got.text(), 'cache me');
    const again = await bundled.fetchWithRetry(`${base}/cacheable`, { method: 'GET' });
    assert.equal(await again.text(), 'cache me');

    await assert.rejects(
      bundled.fetchWithRetry(`${base}/nowhere`, { method: 'GET' }),
      (error: Error) => /no such/.test(error.message) && !/cacache/.test(error.message),
    );
    assert.deepEqual(seen.splice(0), [
      'POST /api/v1/log/entries',
      'POST /moved-307',
      'POST /api/v1/log/entries',
      'POST /moved-303',
      'GET /cacheable',
      'GET /moved-302',
      'GET /cacheable',
      'GET /cacheable',
      'GET /nowhere',
    ]);
  });

  void it('a request naming a cachePath fails with a rejection naming what was left out, never a crash', async () => {
    // make-fetch-happen swallows a failing cache lookup and fetches; the stand-in then throws when
    // the body would be written to the cache, which surfaces as the body's rejection.
    const response = await bundled.makeFetchHappen(`${base}/cacheable`, {
      cachePath: join(dir, 'cache'),
    });
    await assert.rejects(
      response.text(),
      /cacache is left out of this bundle \(scripts\/lib\/bundle-plugins\.ts\) \(read: put\)/,
    );
  });
});
