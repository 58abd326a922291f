import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { listAttestations, nextCursor } from './list.js';
import { uploadAttestation } from './upload.js';
import { startGitHubStandIn, type GitHubStandIn } from '../github-stand-in.js';
import { statementBundle } from './test-bundles.js';

const REPO = 'octo-org/octo-repo';
const MANY = 'cd'.repeat(32);
const OTHER = 'ef'.repeat(32);

void describe('listing the attestations GitHub stores for a digest', () => {
  let github: GitHubStandIn;
  before(async () => {
    github = await startGitHubStandIn({ apiToken: 'ghs_write' });
    const api = { apiUrl: github.apiUrl, fetch, token: 'ghs_write', repository: REPO };
    for (let n = 0; n < 5; n += 1) {
      await uploadAttestation({ ...api, bundle: statementBundle(MANY, undefined, n) });
    }
    await uploadAttestation({
      ...api,
      bundle: statementBundle(MANY, 'https://in-toto.io/attestation/test-result/v0.1', 9),
    });
    await uploadAttestation({ ...api, bundle: statementBundle(OTHER, undefined, 7) });
  });
  after(async () => {
    await github.close();
  });
  const list = (overrides: Record<string, unknown> = {}) => ({
    apiUrl: github.apiUrl,
    fetch,
    repository: REPO,
    digest: `sha256:${MANY}`,
    retry: { sleep: () => Promise.resolve() },
    ...overrides,
  });
  const gets = (from: number) => github.calls.slice(from).filter((c) => c.method === 'GET');
  const numbers = (bundles: readonly Record<string, unknown>[]) =>
    bundles.map(
      (b) =>
        (
          JSON.parse(
            Buffer.from((b.dsseEnvelope as { payload: string }).payload, 'base64').toString(),
          ) as { predicate: { n: number } }
        ).predicate.n,
    );

  void it('pages with the after cursor until there is no next link', async () => {
    const from = github.calls.length;
    const bundles = await listAttestations(list({ perPage: 2 }));
    assert.deepEqual(numbers(bundles), [0, 1, 2, 3, 4, 9]);
    const urls = gets(from).map((c) => c.url);
    assert.equal(urls.length, 3);
    assert.match(
      urls[0] ?? '',
      /^\/repos\/octo-org\/octo-repo\/attestations\/sha256:cdcd.*\?per_page=2$/,
    );
    assert.match(urls[1] ?? '', /per_page=2&after=/);
  });

  void it('passes the predicate type filter, and lists only the digest asked for', async () => {
    assert.deepEqual(
      numbers(
        await listAttestations(
          list({ predicateType: 'https://in-toto.io/attestation/test-result/v0.1' }),
        ),
      ),
      [9],
    );
    assert.deepEqual(numbers(await listAttestations(list({ digest: `sha256:${OTHER}` }))), [7]);
  });

  void it('answers an empty list when GitHub stores none (404)', async () => {
    assert.deepEqual(await listAttestations(list({ digest: `sha256:${'00'.repeat(32)}` })), []);
  });

  void it('refuses more attestations or bytes than the bounds instead of reading part', async () => {
    await assert.rejects(listAttestations(list({ perPage: 2, maxAttestations: 3 })), {
      code: 'TOO_LARGE',
      message: /found more than 3 attestations; refused rather than read in part/,
    });
    await assert.rejects(listAttestations(list({ perPage: 2, maxTotalBytes: 3000 })), {
      code: 'TOO_LARGE',
      message: /found more than 3000 bytes/,
    });
  });

  void it('retries a 502 page and fails clearly on a 403', async () => {
    github.failNext({ status: 502 });
    assert.equal((await listAttestations(list())).length, 6);
    github.failNext({ status: 403, message: 'Resource not accessible by integration' });
    await assert.rejects(listAttestations(list()), {
      message: /answered 403 .*`permissions: attestations: read`/,
    });
  });

  void it('sends the cursor only to the configured API, whatever host the Link names', async () => {
    const seen: string[] = [];
    const recording = ((url: string, init?: RequestInit) => {
      seen.push(url);
      return fetch(url, init);
    }) as typeof fetch;
    const page = JSON.stringify({ attestations: [{ bundle: statementBundle(MANY) }] });
    github.failNext({
      status: 200,
      body: page,
      headers: { link: '<https://evil.example/steal?after=Mw>; rel="next"' },
    });
    const bundles = await listAttestations(
      list({ fetch: recording, token: 'ghs_write', perPage: 2 }),
    );
    assert.equal(bundles.length, 1 + 2 + 1);
    assert.ok(
      seen.every((url) => url.startsWith(github.apiUrl)),
      seen.join(' '),
    );
    assert.match(seen[1] ?? '', /after=Mw$/);
  });

  void it('refuses answers that are not attestation lists, and a repeated cursor', async () => {
    github.failNext({ status: 200, body: '[]' });
    await assert.rejects(listAttestations(list()), {
      message: 'the GitHub API did not answer with a list of attestations',
    });
    github.failNext({ status: 200, body: '{"attestations":[{"bundle_url":"https://x"}]}' });
    await assert.rejects(listAttestations(list()), {
      message: /attestation 1 without an inline bundle/,
    });
    github.failNext({ status: 200, body: 'not json' });
    await assert.rejects(listAttestations(list()), { message: /not JSON/ });
    const loop = {
      status: 200,
      body: JSON.stringify({ attestations: [{ bundle: statementBundle(MANY) }] }),
      headers: { link: `<${github.apiUrl}/x?after=same>; rel="next"` },
    };
    github.failNext(loop, loop);
    await assert.rejects(listAttestations(list()), { message: /repeated a page cursor/ });
  });

  void it('refuses endless paging: a page with nothing on it that still names a next page', async () => {
    // A hostile or broken API: every page empty, every Link a fresh cursor. Each page costs a few
    // bytes, so neither the count nor the byte bound would end it before millions of requests.
    let requests = 0;
    const endless = ((url: string) => {
      requests += 1;
      if (requests > 50) throw new Error(`still paging after ${requests} requests: ${url}`);
      return Promise.resolve(
        new Response('{"attestations":[]}', {
          status: 200,
          headers: { link: `<${github.apiUrl}/x?after=c${requests}>; rel="next"` },
        }),
      );
    }) as typeof fetch;
    await assert.rejects(listAttestations(list({ fetch: endless })), {
      message: /an empty page that names a next page/,
    });
    assert.equal(requests, 1);
  });

  void it('refuses a malformed digest before any request', async () => {
    await assert.rejects(listAttestations(list({ digest: 'sha256:../../x' })), {
      code: 'USAGE',
      message: /needs a digest sha256:<64 hex>/,
    });
    await assert.rejects(listAttestations(list({ digest: `SHA256:${MANY}` })), { code: 'USAGE' });
  });

  void it('reads the next cursor from a Link header', () => {
    assert.equal(
      nextCursor(
        '<https://a/x?after=A1>; rel="prev", <https://a/x?per_page=2&after=B2>; rel="next"',
      ),
      'B2',
    );
    assert.equal(nextCursor('<https://a/x?after=A1>; rel="prev"'), undefined);
    assert.equal(nextCursor(null), undefined);
  });
});
