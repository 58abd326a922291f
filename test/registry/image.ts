// Test helper: pushes a minimal real image (a config blob, one tar layer, an OCI image manifest) to a
// loopback registry with plain distribution-API requests — independent of the client under test.
import { createHash } from 'node:crypto';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A one-file ustar archive: a 512-byte header, the content padded to 512, two zero blocks. */
function tarOf(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

export async function pushRawBlob(
  url: string,
  repository: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<string> {
  const digest = sha256(bytes);
  const start = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
  const location = new URL(start.headers.get('location') ?? '', url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes, headers });
  if (put.status !== 201) throw new Error(`blob upload answered ${put.status}`);
  return digest;
}

export async function putRawManifest(
  url: string,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
) {
  const put = await fetch(`${url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType },
    body: bytes,
  });
  if (put.status !== 201)
    throw new Error(`manifest PUT answered ${put.status}: ${await put.text()}`);
  return sha256(bytes);
}

/** Pushes an image whose one layer holds `content`; returns its manifest digest. */
export async function pushImage(
  url: string,
  repository: string,
  content: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const layer = tarOf('hello.txt', content);
  const configDigest = await pushRawBlob(url, repository, config, headers);
  const layerDigest = await pushRawBlob(url, repository, layer, headers);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: layerDigest,
          size: layer.length,
        },
      ],
    }),
  );
  return putRawManifest(
    url,
    repository,
    'latest',
    'application/vnd.oci.image.manifest.v1+json',
    manifest,
    headers,
  );
}

/** Bundle-shaped JSON whose DSSE statement names `digest` (storage does not verify; callers do). */
export function imageBundle(digest: string, n: number) {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'image', digest: { sha256: digest.slice('sha256:'.length) } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: { n },
  };
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'test' } },
    dsseEnvelope: {
      payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: Buffer.from(`placeholder-${n}`).toString('base64'), keyid: '' }],
    },
  };
}
