// Hostile registry answers, each built as a Response a registry could send: the client refuses them
// with one line and never follows them somewhere it should not go.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listReferrers, fetchReferrerBundles } from './attach.js';
import { sha256Digest } from './registry.js';

const IMAGE = `sha256:${'b2'.repeat(32)}`;
const ref = `registry.example.com/octo/app@${IMAGE}`;

type Handler = (url: URL, init: RequestInit) => Response;

function registry(handler: Handler) {
  const seen: { url: string; authorization: string | undefined }[] = [];
  const fake = ((input: URL | string, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers = new Headers(init.headers);
    seen.push({ url: url.href, authorization: headers.get('authorization') ?? undefined });
    return Promise.resolve(handler(url, init));
  }) as typeof fetch;
  return { fetch: fake, seen };
}

const index = (manifests: unknown[]) =>
  Response.json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests,
  });

void describe('hostile registry answers', () => {
  void it('refuses a token realm that is plain http on another host', async () => {
    const { fetch, seen } = registry(() =>
      Response.json(
        {},
        {
          status: 401,
          headers: { 'www-authenticate': 'Bearer realm="http://evil.example/token",service="x"' },
        },
      ),
    );
    await assert.rejects(
      listReferrers({ image: ref, fetch, credentials: { username: 'u', password: 'p' } }),
      {
        message:
          "registry registry.example.com asks for a token from 'http://evil.example', which is neither https nor loopback; refused",
      },
    );
    assert.ok(seen.every((s) => s.url.startsWith('https://registry.example.com/')));
  });

  void it('refuses a redirect to plain http', async () => {
    const { fetch } = registry(
      () =>
        new Response(null, { status: 307, headers: { location: 'http://storage.example/blob' } }),
    );
    await assert.rejects(listReferrers({ image: ref, fetch }), {
      code: 'USAGE',
      message:
        "registry registry.example.com: sent us to 'http://storage.example', which is neither https nor loopback; refused",
    });
  });

  void it('drops the credentials when a redirect leaves the registry', async () => {
    const { fetch, seen } = registry((url, init) => {
      if (url.hostname === 'storage.example') return index([]);
      const authorization = new Headers(init.headers).get('authorization');
      if (authorization === null)
        return Response.json(
          {},
          { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } },
        );
      return new Response(null, {
        status: 302,
        headers: { location: 'https://storage.example/x' },
      });
    });
    assert.deepEqual(
      await listReferrers({ image: ref, fetch, credentials: { username: 'u', password: 'p' } }),
      [],
    );
    assert.deepEqual(
      seen.map((s) => [new URL(s.url).hostname, s.authorization]),
      [
        ['registry.example.com', undefined],
        ['registry.example.com', `Basic ${Buffer.from('u:p').toString('base64')}`],
        ['storage.example', undefined],
      ],
    );
  });

  void it('refuses a manifest whose content does not hash to the digest asked for', async () => {
    const referrer = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${'c3'.repeat(32)}`,
      size: 10,
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    };
    const { fetch } = registry((url) =>
      url.pathname.includes('/referrers/') ? index([referrer]) : Response.json({ mediaType: 'x' }),
    );
    await assert.rejects(fetchReferrerBundles({ image: ref, fetch }), {
      code: 'CONTENT_MISMATCH',
      message: /served manifest sha256:c3c3.* whose content hashes to sha256:/,
    });
  });

  void it('refuses an index with invalid descriptors or too many entries, and an oversized answer', async () => {
    const bad = registry(() => index([{ mediaType: 'm', digest: 'sha256:../../etc', size: 1 }]));
    await assert.rejects(listReferrers({ image: ref, fetch: bad.fetch }), {
      message: /entry 1 is not a valid descriptor/,
    });
    const descriptor = { mediaType: 'm', digest: IMAGE, size: 1 };
    const many = registry(() => index(Array.from({ length: 1001 }, () => descriptor)));
    await assert.rejects(listReferrers({ image: ref, fetch: many.fetch }), {
      code: 'TOO_LARGE',
      message: /more than 1000 referrers/,
    });
    const huge = registry(
      () =>
        new Response('x'.repeat(10), { headers: { 'content-length': String(5 * 1024 * 1024) } }),
    );
    await assert.rejects(listReferrers({ image: ref, fetch: huge.fetch }), {
      code: 'TOO_LARGE',
      message: /answered more than 4194304 bytes/,
    });
    const notIndex = registry(() =>
      Response.json({ mediaType: 'application/vnd.oci.image.manifest.v1+json', manifests: [] }),
    );
    await assert.rejects(listReferrers({ image: ref, fetch: notIndex.fetch }), {
      message: /is not an OCI image index/,
    });
  });

  void it('refuses a referrers page link to another origin rather than follow or skip it', async () => {
    const descriptor = { mediaType: 'm', digest: sha256Digest(Buffer.from('a')), size: 1 };
    const { fetch, seen } = registry(() => {
      const response = index([descriptor]);
      response.headers.set('link', '<https://evil.example/v2/x?page=2>; rel="next"');
      return response;
    });
    await assert.rejects(listReferrers({ image: ref, fetch }), {
      message:
        'registry registry.example.com: put the next page of referrers on another origin (https://evil.example); refused',
    });
    assert.equal(seen.length, 1);
  });
});
