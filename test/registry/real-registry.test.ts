// Attestations attached to images in a real registry: Debian's docker-registry (distribution 2.8),
// which has no referrers API, so every referrer is found through the `sha256-<hex>` fallback index.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRealRegistry, type RealRegistry } from '@sathos/testkit';
import {
  fetchReferrerBundles,
  listReferrers,
  pushAttestation,
  SIGSTORE_BUNDLE_V03,
} from '@sathos/node';
import { imageBundle, pushImage, putRawManifest } from './image.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const now = () => new Date('2026-01-01T00:00:00Z');

void describe('OCI referrers in a real registry (docker-registry 2.8, tag fallback)', () => {
  let registry: RealRegistry;
  let imageA: string;
  let imageB: string;
  before(async () => {
    registry = await startRealRegistry();
    imageA = await pushImage(registry.url, 'octo/app', 'first image');
    imageB = await pushImage(registry.url, 'octo/app', 'second image');
  });
  after(async () => {
    await registry.close();
  });
  const ref = (digest: string) => `${registry.host}/octo/app@${digest}`;
  const fallbackIndex = async (digest: string) => {
    const response = await fetch(
      `${registry.url}/v2/octo/app/manifests/${digest.replace(':', '-')}`,
      {
        headers: { accept: INDEX },
      },
    );
    return {
      status: response.status,
      json: (await response.json()) as { mediaType: string; manifests: { digest: string }[] },
    };
  };

  void it('attaches a bundle as an OCI 1.1 referrer and lists it in the fallback index', async () => {
    const bundle = imageBundle(imageA, 1);
    const pushed = await pushAttestation({ image: ref(imageA), bundle, now });
    assert.equal(pushed.via, 'fallback-tag');
    const manifest = (await (
      await fetch(`${registry.url}/v2/octo/app/manifests/${pushed.digest}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as Record<string, unknown>;
    assert.equal(manifest.artifactType, SIGSTORE_BUNDLE_V03);
    assert.deepEqual((manifest.subject as { digest: string }).digest, imageA);
    assert.deepEqual(manifest.config, {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    });
    assert.deepEqual(manifest.annotations, {
      'org.opencontainers.image.created': '2026-01-01T00:00:00.000Z',
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1',
    });
    const index = await fallbackIndex(imageA);
    assert.equal(index.json.mediaType, INDEX);
    assert.deepEqual(
      index.json.manifests.map((m) => m.digest),
      [pushed.digest],
    );
    const listed = await listReferrers({ image: ref(imageA), artifactType: SIGSTORE_BUNDLE_V03 });
    const [only, ...rest] = listed;
    assert.ok(only !== undefined && rest.length === 0);
    assert.equal(only.artifactType, SIGSTORE_BUNDLE_V03);
    assert.equal(
      only.annotations?.['dev.sigstore.bundle.predicateType'],
      'https://slsa.dev/provenance/v1',
    );
  });

  void it('appends a second attestation to the index instead of replacing the first', async () => {
    const first = (await fallbackIndex(imageA)).json.manifests.map((m) => m.digest);
    const second = await pushAttestation({
      image: ref(imageA),
      bundle: imageBundle(imageA, 2),
      now,
    });
    const again = await pushAttestation({
      image: ref(imageA),
      bundle: imageBundle(imageA, 2),
      now,
    });
    assert.equal(again.digest, second.digest);
    assert.deepEqual(
      (await fallbackIndex(imageA)).json.manifests.map((m) => m.digest),
      [...first, second.digest],
    );
    const bundles = await fetchReferrerBundles({ image: ref(imageA) });
    assert.deepEqual(
      bundles.map((b) => b.bundle),
      [imageBundle(imageA, 1), imageBundle(imageA, 2)],
    );
  });

  void it("never returns another image's referrers", async () => {
    await pushAttestation({ image: ref(imageB), bundle: imageBundle(imageB, 3), now });
    const forB = await fetchReferrerBundles({ image: ref(imageB) });
    assert.deepEqual(
      forB.map((b) => b.bundle),
      [imageBundle(imageB, 3)],
    );
    const forA = await fetchReferrerBundles({ image: ref(imageA) });
    assert.equal(forA.length, 2);
    assert.ok(
      forA.every((b) => JSON.stringify(b.bundle) !== JSON.stringify(imageBundle(imageB, 3))),
    );
  });

  void it("skips a referrer spliced into the image's index whose subject is another image", async () => {
    const indexB = await fallbackIndex(imageB);
    const indexA = await fallbackIndex(imageA);
    const spliced = {
      ...indexA.json,
      manifests: [...indexA.json.manifests, ...indexB.json.manifests],
    };
    await putRawManifest(
      registry.url,
      'octo/app',
      imageA.replace(':', '-'),
      INDEX,
      Buffer.from(JSON.stringify(spliced)),
    );
    assert.equal((await listReferrers({ image: ref(imageA) })).length, 3);
    const bundles = await fetchReferrerBundles({ image: ref(imageA) });
    assert.deepEqual(
      bundles.map((b) => b.bundle),
      [imageBundle(imageA, 1), imageBundle(imageA, 2)],
    );
  });

  void it('lists nothing for an image without attestations, and refuses to attest an image the registry lacks', async () => {
    const missing = `sha256:${'0'.repeat(64)}`;
    assert.deepEqual(await listReferrers({ image: ref(missing) }), []);
    await assert.rejects(
      pushAttestation({ image: ref(missing), bundle: imageBundle(missing, 4) }),
      {
        code: 'STORE_FAILED',
        message: `registry ${registry.host}: has no image octo/app@${missing}; push the image before its attestation`,
      },
    );
  });

  void it('refuses a malformed reference and plain http to a non-loopback registry before any request', async () => {
    await assert.rejects(
      pushAttestation({
        image: `${registry.host}/octo/app:latest`,
        bundle: imageBundle(imageA, 5),
      }),
      {
        code: 'USAGE',
        message: /is not pinned by digest/,
      },
    );
    await assert.rejects(
      listReferrers({ image: `registry.example.com/octo/app@${imageA}`, plainHttp: true }),
      {
        code: 'USAGE',
        message:
          "plain http to registry 'registry.example.com' refused: only a loopback registry may be reached without TLS",
      },
    );
    await assert.rejects(
      pushAttestation({ image: ref(imageA), bundle: { mediaType: 'text/plain' } }),
      { message: /only a Sigstore bundle/ },
    );
  });
});
