// What docker-registry 2.8 cannot show: the OCI 1.1 referrers API, token and Basic authentication, and
// a registry serving tampered content. These run against testkit's in-memory OCI stand-in — a
// loopback server written for these tests, not a real registry (the tag-fallback path is tested
// against the real one in real-registry.test.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOciStandIn, type OciStandIn } from '@sathos/testkit';
import {
  fetchReferrerBundles,
  listReferrers,
  pushAttestation,
  SIGSTORE_BUNDLE_V03,
} from '@sathos/node';
import { imageBundle, pushImage } from './image.js';

const credentials = { username: 'octo', password: 's3cret' };

async function pushTokenHeader(registry: OciStandIn): Promise<Record<string, string>> {
  const basic = `Basic ${Buffer.from('octo:s3cret').toString('base64')}`;
  const response = await fetch(`${registry.url}/token?scope=repository:octo/app:pull,push`, {
    headers: { authorization: basic },
  });
  const { token } = (await response.json()) as { token: string };
  return { authorization: `Bearer ${token}` };
}

void describe('OCI referrers API (loopback stand-in, as distribution 3.x serves it)', () => {
  let registry: OciStandIn;
  let image: string;
  before(async () => {
    registry = await startOciStandIn({ pageSize: 2 });
    image = await pushImage(registry.url, 'octo/app', 'image');
  });
  after(async () => {
    await registry.close();
  });
  const ref = () => `${registry.host}/octo/app@${image}`;

  void it('pushes the referrer and writes no fallback tag when the API answers', async () => {
    const pushed = await pushAttestation({ image: ref(), bundle: imageBundle(image, 1) });
    assert.equal(pushed.via, 'referrers-api');
    assert.equal(registry.tags.has(image.replace(':', '-')), false);
    assert.ok(registry.requests.some((r) => r.path === `/v2/octo/app/referrers/${image}`));
  });

  void it('lists referrers across pages and filters by artifact type', async () => {
    await pushAttestation({ image: ref(), bundle: imageBundle(image, 2) });
    await pushAttestation({ image: ref(), bundle: imageBundle(image, 3) });
    const listed = await listReferrers({ image: ref(), artifactType: SIGSTORE_BUNDLE_V03 });
    assert.equal(listed.length, 3);
    assert.ok(registry.requests.some((r) => r.path.includes('start=2')));
    assert.deepEqual(
      await listReferrers({ image: ref(), artifactType: 'application/example' }),
      [],
    );
    const bundles = await fetchReferrerBundles({ image: ref() });
    assert.deepEqual(
      bundles.map((b) => b.bundle),
      [1, 2, 3].map((n) => imageBundle(image, n)),
    );
  });
});

void describe('the fallback index on a registry that honours If-Match', () => {
  void it('keeps every entry when writers update it at the same time', async () => {
    const registry = await startOciStandIn({ referrersApi: false });
    try {
      const image = await pushImage(registry.url, 'octo/app', 'image');
      const ref = `${registry.host}/octo/app@${image}`;
      const pushed = await Promise.all(
        [1, 2, 3, 4].map((n) => pushAttestation({ image: ref, bundle: imageBundle(image, n) })),
      );
      assert.ok(pushed.every((p) => p.via === 'fallback-tag'));
      const listed = await listReferrers({ image: ref });
      assert.deepEqual(new Set(listed.map((d) => d.digest)), new Set(pushed.map((p) => p.digest)));
      const tagWrites = registry.requests.filter(
        (r) => r.method === 'PUT' && r.path.endsWith(image.replace(':', '-')),
      );
      // Every write was conditional: the ones that lost the race were refused (412), not applied.
      assert.equal(tagWrites.filter((r) => r.status === 201).length, 4);
    } finally {
      await registry.close();
    }
  });
});

void describe('registry authentication through the WWW-Authenticate challenge', () => {
  void it('gets a bearer token from the realm with the credentials, asking push scope only to write', async () => {
    const registry = await startOciStandIn({ auth: { scheme: 'bearer', ...credentials } });
    try {
      const image = await pushImage(
        registry.url,
        'octo/app',
        'image',
        await pushTokenHeader(registry),
      );
      const ref = `${registry.host}/octo/app@${image}`;
      registry.grantedScopes.length = 0;
      await pushAttestation({ image: ref, bundle: imageBundle(image, 1), credentials });
      assert.deepEqual(registry.grantedScopes, [
        'repository:octo/app:pull',
        'repository:octo/app:pull,push',
      ]);
      assert.equal((await fetchReferrerBundles({ image: ref, credentials })).length, 1);
      await assert.rejects(listReferrers({ image: ref }), {
        code: 'USAGE',
        message: `the token service of registry ${registry.host} answered 401; check the registry credentials`,
      });
      await assert.rejects(
        pushAttestation({
          image: ref,
          bundle: imageBundle(image, 2),
          credentials: { ...credentials, password: 'wrong' },
        }),
        {
          message: /answered 401; check the registry credentials/,
        },
      );
    } finally {
      await registry.close();
    }
  });

  void it('answers a Basic challenge with the credentials, and says when there are none', async () => {
    const registry = await startOciStandIn({ auth: { scheme: 'basic', ...credentials } });
    try {
      const basic = { authorization: `Basic ${Buffer.from('octo:s3cret').toString('base64')}` };
      const image = await pushImage(registry.url, 'octo/app', 'image', basic);
      const ref = `${registry.host}/octo/app@${image}`;
      await pushAttestation({ image: ref, bundle: imageBundle(image, 1), credentials });
      assert.equal((await listReferrers({ image: ref, credentials })).length, 1);
      await assert.rejects(listReferrers({ image: ref }), {
        message: `registry ${registry.host}: requires credentials (Basic); pass a username and password`,
      });
      await assert.rejects(
        listReferrers({ image: ref, credentials: { ...credentials, password: 'no' } }),
        {
          message: /refused the pull request \(401\); check the registry credentials/,
        },
      );
    } finally {
      await registry.close();
    }
  });
});

void describe('a registry serving tampered content', () => {
  void it('refuses a blob whose bytes do not hash to its digest', async () => {
    const registry = await startOciStandIn({ tamperBlobs: true });
    try {
      const image = await pushImage(registry.url, 'octo/app', 'image');
      await pushAttestation({
        image: `${registry.host}/octo/app@${image}`,
        bundle: imageBundle(image, 1),
      });
      await assert.rejects(fetchReferrerBundles({ image: `${registry.host}/octo/app@${image}` }), {
        code: 'CONTENT_MISMATCH',
        message: /served blob sha256:[0-9a-f]{64} with other content/,
      });
    } finally {
      await registry.close();
    }
  });
});
