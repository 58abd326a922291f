// sigstore-fetch.ts under @sigstore/sign's own fetchWithRetry (what its Fulcio, Rekor and TSA clients
// call), bundled with stubImports() as the action and CLI bundles are, against a loopback server:
// the requests Sigstore clients make and their redirects, HTTP errors and retries, binary answers,
// and what a hostile or dead endpoint does — an endless or oversized body, no answer, no listener.
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
import { MAX_RESPONSE_BYTES } from './sigstore-fetch.js';

interface Answer {
  status: number;
  json: () => Promise<unknown>;
  text: () => Promise<string>;
  buffer: () => Promise<Buffer>;
}
type FetchWithRetry = (
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    retry?: number;
    timeout?: number;
  },
) => Promise<Answer>;

const TSA_BYTES = Buffer.from([0x30, 0x82, 0x00, 0xff, 0x00, 0x80, 0xfe]);

void describe('sigstore-fetch.ts under @sigstore/sign, bundled', () => {
  let dir = '';
  let server: Server;
  let base = '';
  let fetchWithRetry: FetchWithRetry;
  let bundle = '';
  const seen: string[] = [];
  let flaky = 0;
  // A second service: a redirect there must never reach it.
  let other: Server;
  let elsewhere = '';
  const otherSeen: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-sigstore-fetch-'));
    const result = await build({
      stdin: {
        contents:
          "exports.fetchWithRetry = require('@sigstore/sign/dist/external/fetch.js').fetchWithRetry;",
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
    ({ fetchWithRetry } = createRequire(import.meta.url)(file) as {
      fetchWithRetry: FetchWithRetry;
    });

    server = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
      const moved: Record<string, [number, string]> = {
        '/moved-307': [307, '/api/v1/log/entries'],
        '/moved-303': [303, '/plain'],
        '/elsewhere': [307, `${elsewhere}/api/v1/signingCert`],
        '/to-https': [308, base.replace('http:', 'https:') + '/api/v1/log/entries'],
        '/loop': [302, '/loop'],
        '/not-a-url': [307, 'http://[::1'],
      };
      const redirect = moved[req.url ?? ''];
      if (redirect !== undefined) {
        res.writeHead(redirect[0], { location: redirect[1] }).end();
      } else if (req.url === '/api/v1/log/entries') {
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"logged":true}');
      } else if (req.url === '/plain') {
        res.writeHead(200).end('plain');
      } else if (req.url === '/tsa') {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(TSA_BYTES);
      } else if (req.url === '/flaky') {
        flaky += 1;
        if (flaky === 1) res.writeHead(503).end();
        else res.writeHead(201, { 'content-type': 'application/json' }).end('{"second":true}');
      } else if (req.url === '/declared-huge') {
        res.writeHead(200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) });
        res.write('x');
      } else if (req.url === '/endless') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      } else if (req.url === '/silent') {
        // Never answers: the caller's timeout has to end it.
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    other = createServer((req, res) => {
      otherSeen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"stolen":true}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });

  after(async () => {
    other.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  void it('bundles sigstore-fetch.ts and none of make-fetch-happen', () => {
    assert.match(bundle, /SigstoreFetchError/);
    assert.doesNotMatch(bundle, /minipass|cacache|socks-proxy-agent/);
  });

  void it("serves Sigstore's POSTs and their redirects (307 keeps the POST, 303 turns it into a GET)", async () => {
    const post = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } };
    const created = await fetchWithRetry(`${base}/api/v1/log/entries`, post);
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { logged: true });
    const kept = await fetchWithRetry(`${base}/moved-307`, post);
    assert.deepEqual(await kept.json(), { logged: true });
    const turned = await fetchWithRetry(`${base}/moved-303`, post);
    assert.equal(await turned.text(), 'plain');
    assert.deepEqual(seen.splice(0), [
      'POST /api/v1/log/entries',
      'POST /moved-307',
      'POST /api/v1/log/entries',
      'POST /moved-303',
      'GET /plain',
    ]);
  });

  void it('refuses a redirect to another origin — host, port or scheme — before sending the body there', async () => {
    const post = { method: 'POST', body: '{"token":"secret"}' };
    for (const path of ['/elsewhere', '/to-https']) {
      await assert.rejects(fetchWithRetry(`${base}${path}`, post), {
        code: 'EREDIRECT',
        message: new RegExp(`^POST ${base}${path}: redirected to another origin \\(`),
      });
    }
    assert.deepEqual(otherSeen, []);
    seen.splice(0);
  });

  void it('stops following after five redirects, and refuses a Location that is not a URL', async () => {
    await assert.rejects(fetchWithRetry(`${base}/loop`, { method: 'GET' }), {
      code: 'EREDIRECT',
      message: /more than 5 redirects/,
    });
    assert.equal(seen.splice(0).length, 6);
    await assert.rejects(fetchWithRetry(`${base}/not-a-url`, { method: 'POST' }), {
      code: 'EREDIRECT',
      message: /which is not a URL/,
    });
    seen.splice(0);
  });

  void it("reads a TSA's binary answer byte for byte with buffer()", async () => {
    const answer = await fetchWithRetry(`${base}/tsa`, { method: 'POST', body: 'q' });
    assert.deepEqual(await answer.buffer(), TSA_BYTES);
  });

  void it("turns an HTTP error into @sigstore/sign's HTTPError with the service's message", async () => {
    await assert.rejects(fetchWithRetry(`${base}/nowhere`, { method: 'GET' }), {
      message: '(404) no such',
    });
  });

  void it('leaves retries to @sigstore/sign: a 503 then a 201 succeeds with retry: 1', async () => {
    const answer = await fetchWithRetry(`${base}/flaky`, { method: 'POST', body: '{}', retry: 1 });
    assert.deepEqual(await answer.json(), { second: true });
  });

  void it('refuses an answer declared larger than the bound, before reading it', async () => {
    const answer = await fetchWithRetry(`${base}/declared-huge`, { method: 'GET' });
    await assert.rejects(answer.json(), {
      code: 'E2BIG',
      message: /declared-huge: the answer is larger than 8388608 bytes; refusing it/,
    });
  });

  void it('stops reading an endless body at the bound, with an error, not the memory', async () => {
    const answer = await fetchWithRetry(`${base}/endless`, { method: 'GET' });
    await assert.rejects(answer.text(), { code: 'E2BIG' });
  });

  void it('ends a request that gets no answer at its timeout, naming it', async () => {
    await assert.rejects(fetchWithRetry(`${base}/silent`, { method: 'GET', timeout: 300 }), {
      code: 'ETIMEDOUT',
      message: `GET ${base}/silent timed out after 300 ms`,
    });
  });

  void it('names the request and the socket error when nothing listens', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => {
      dead.close(() => {
        resolve();
      });
    });
    await assert.rejects(fetchWithRetry(`http://127.0.0.1:${port}/x`, { method: 'POST' }), {
      code: 'ECONNREFUSED',
      message: new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/x failed: .*ECONNREFUSED`),
    });
  });
});
