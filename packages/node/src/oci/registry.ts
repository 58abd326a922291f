// Blobs and manifests of one repository, content-addressed: what we read by digest is hashed and must
// match, what we write is hashed by us and the registry's Docker-Content-Digest must agree. Sizes are
// bounded (a manifest at 4 MiB, the distribution default).
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md
import { createHash } from 'node:crypto';
import { SathosError } from '@sathos/core';
import type { RegistryAnswer, RegistryTransport } from './transport.js';

export const OCI_MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export const OCI_LIMITS = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxBlobBytes: 32 * 1024 * 1024,
} as const;

/** An OCI content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
  readonly json: unknown;
  /** The ETag the registry sent, for a conditional update (If-Match). */
  readonly etag: string | undefined;
}

const ACCEPT_MANIFESTS = Object.values(OCI_MEDIA_TYPES)
  .filter((type) => type !== OCI_MEDIA_TYPES.empty)
  .join(', ');
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function unexpected(transport: RegistryTransport, what: string, answer: RegistryAnswer) {
  return transport.fail(`answered ${answer.status} ${what}`, answer.url);
}

/** The manifest's descriptor (HEAD), or undefined when the registry does not have it. */
export async function headManifest(
  transport: RegistryTransport,
  reference: string,
): Promise<Descriptor | undefined> {
  const { repository } = transport.image;
  const answer = await transport.send({
    method: 'HEAD',
    target: `/v2/${repository}/manifests/${reference}`,
    access: 'pull',
    headers: { accept: ACCEPT_MANIFESTS },
    maxBytes: 0,
  });
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw unexpected(transport, `to HEAD manifest ${reference}`, answer);
  const digest = answer.headers.get('docker-content-digest') ?? '';
  const size = Number(answer.headers.get('content-length') ?? 'NaN');
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!DIGEST.test(digest) || !Number.isSafeInteger(size) || size < 0 || mediaType === '') {
    throw transport.fail(`described manifest ${reference} without digest, size or media type`);
  }
  if (DIGEST.test(reference) && digest !== reference) {
    throw transport.fail(`answered digest ${digest} for manifest ${reference}`);
  }
  return { mediaType, digest, size };
}

/** A manifest (by digest or tag), its digest checked, or undefined when the registry has none. */
export async function getManifest(
  transport: RegistryTransport,
  reference: string,
  access: 'pull' | 'push' = 'pull',
): Promise<FetchedManifest | undefined> {
  const { repository } = transport.image;
  const answer = await transport.send({
    method: 'GET',
    target: `/v2/${repository}/manifests/${reference}`,
    access,
    headers: { accept: ACCEPT_MANIFESTS },
    maxBytes: OCI_LIMITS.maxManifestBytes,
  });
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw unexpected(transport, `to GET manifest ${reference}`, answer);
  const digest = sha256Digest(answer.body);
  if (DIGEST.test(reference) && digest !== reference) {
    throw new SathosError(
      'CONTENT_MISMATCH',
      `registry ${transport.image.registry} served manifest ${reference} whose content hashes to ${digest}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch (cause) {
    throw transport.fail(`served manifest ${reference} that is not JSON`, answer.url, cause);
  }
  const declared = (json as { mediaType?: unknown } | null)?.mediaType;
  const header = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const mediaType = typeof declared === 'string' ? declared : header;
  const etag = answer.headers.get('etag') ?? undefined;
  return { mediaType, digest, bytes: answer.body, json, etag };
}

/** A conditional write: replace only what was read (its ETag), or create only. */
export type WriteCondition = { readonly ifMatch: string } | { readonly ifNoneMatch: '*' };

function conditionHeaders(condition: WriteCondition | undefined): Record<string, string> {
  if (condition === undefined) return {};
  return 'ifMatch' in condition ? { 'if-match': condition.ifMatch } : { 'if-none-match': '*' };
}

/**
 * Stores a manifest under `reference` (its digest, or a tag); returns its digest, or undefined when
 * a condition was given and the registry answered 412 (someone else wrote the tag since it was read).
 */
export async function putManifest(
  transport: RegistryTransport,
  reference: string | undefined,
  mediaType: string,
  bytes: Buffer,
): Promise<string>;
export async function putManifest(
  transport: RegistryTransport,
  reference: string,
  mediaType: string,
  bytes: Buffer,
  condition: WriteCondition,
): Promise<string | undefined>;
export async function putManifest(
  transport: RegistryTransport,
  reference: string | undefined,
  mediaType: string,
  bytes: Buffer,
  condition?: WriteCondition,
): Promise<string | undefined> {
  const digest = sha256Digest(bytes);
  const answer = await transport.send({
    method: 'PUT',
    target: `/v2/${transport.image.repository}/manifests/${reference ?? digest}`,
    access: 'push',
    headers: {
      'content-type': mediaType,
      ...conditionHeaders(condition),
    },
    body: bytes,
    maxBytes: 64 * 1024,
  });
  if (answer.status === 412 && condition !== undefined) return undefined;
  if (answer.status !== 201)
    throw unexpected(transport, `to PUT manifest ${reference ?? digest}`, answer);
  const stored = answer.headers.get('docker-content-digest');
  if (stored !== null && stored !== digest) {
    throw transport.fail(`stored manifest ${digest} as ${stored}`, answer.url);
  }
  return digest;
}

/** Uploads a blob (POST then PUT ?digest=) unless the registry has it already. */
export async function pushBlob(
  transport: RegistryTransport,
  bytes: Buffer,
): Promise<{ digest: string; size: number }> {
  const { repository } = transport.image;
  const digest = sha256Digest(bytes);
  const head = await transport.send({
    method: 'HEAD',
    target: `/v2/${repository}/blobs/${digest}`,
    access: 'push',
    maxBytes: 0,
  });
  if (head.status === 200) return { digest, size: bytes.length };
  const start = await transport.send({
    method: 'POST',
    target: `/v2/${repository}/blobs/uploads/`,
    access: 'push',
    maxBytes: 64 * 1024,
  });
  const location = start.headers.get('location');
  if (start.status !== 202 || location === null)
    throw unexpected(transport, 'to start a blob upload', start);
  const url = new URL(location, start.url);
  if (url.origin !== new URL(start.url).origin) {
    throw transport.fail(`sent the upload to another origin (${url.origin}); refused`);
  }
  url.searchParams.set('digest', digest);
  const put = await transport.send({
    method: 'PUT',
    target: url.href,
    access: 'push',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
    maxBytes: 64 * 1024,
  });
  if (put.status !== 201) throw unexpected(transport, `to PUT blob ${digest}`, put);
  return { digest, size: bytes.length };
}

/** A blob by descriptor, its size and digest checked. */
export async function getBlob(
  transport: RegistryTransport,
  descriptor: Descriptor,
  max: number,
): Promise<Buffer> {
  if (!DIGEST.test(descriptor.digest) || descriptor.size > max) {
    throw new SathosError(
      'TOO_LARGE',
      `blob ${descriptor.digest.slice(0, 80)} is ${descriptor.size} bytes, more than ${max}`,
    );
  }
  const answer = await transport.send({
    method: 'GET',
    target: `/v2/${transport.image.repository}/blobs/${descriptor.digest}`,
    access: 'pull',
    maxBytes: descriptor.size,
  });
  if (answer.status !== 200)
    throw unexpected(transport, `to GET blob ${descriptor.digest}`, answer);
  if (answer.body.length !== descriptor.size || sha256Digest(answer.body) !== descriptor.digest) {
    throw new SathosError(
      'CONTENT_MISMATCH',
      `registry ${transport.image.registry} served blob ${descriptor.digest} with other content`,
    );
  }
  return answer.body;
}
