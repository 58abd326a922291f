// Finding what refers to an image: the referrers API (`GET /v2/<name>/referrers/<digest>`, OCI 1.1)
// when the registry has it, else the referrers tag schema — an image index tagged `sha256-<hex>` that
// writers keep up to date. Either way the answer is only a list of candidates: descriptors are
// checked for shape, bounded in number, filtered by artifact type, and a bundle is returned only
// from a manifest whose subject is the image asked about. Nothing here is trusted; every bundle is
// verified by its caller.
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
import { SathosError } from '@sathos/core';
import { getBlob, getManifest, OCI_MEDIA_TYPES, type Descriptor } from './registry.js';
import type { RegistryTransport } from './transport.js';

export const REFERRER_LIMITS = {
  maxReferrers: 1_000,
  maxBundleBytes: 16 * 1024 * 1024,
  maxTotalBundleBytes: 64 * 1024 * 1024,
  maxPages: 20,
} as const;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The tag the referrers tag schema keeps the index of `digest`'s referrers under. */
export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** A descriptor as listed, checked; undefined when it is not one. */
export function checkDescriptor(value: unknown): Descriptor | undefined {
  const d = value as Partial<Record<keyof Descriptor, unknown>> | null;
  if (typeof d !== 'object' || d === null) return undefined;
  const { mediaType, digest, size, artifactType, annotations } = d;
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || !DIGEST.test(digest))
    return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (artifactType !== undefined && typeof artifactType !== 'string') return undefined;
  if (annotations !== undefined && !isStringRecord(annotations)) return undefined;
  return {
    mediaType,
    digest,
    size,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

/** The descriptors of an image index, or an error when it is not one. */
export function indexManifests(
  transport: RegistryTransport,
  json: unknown,
  where: string,
): Descriptor[] {
  const index = json as { mediaType?: unknown; manifests?: unknown } | null;
  if (index?.mediaType !== OCI_MEDIA_TYPES.index || !Array.isArray(index.manifests)) {
    throw transport.fail(`${where} is not an OCI image index`);
  }
  if (index.manifests.length > REFERRER_LIMITS.maxReferrers) {
    throw new SathosError(
      'TOO_LARGE',
      `${where} lists more than ${REFERRER_LIMITS.maxReferrers} referrers`,
    );
  }
  return index.manifests.map((entry: unknown, i) => {
    const descriptor = checkDescriptor(entry);
    if (descriptor === undefined)
      throw transport.fail(`${where} entry ${i + 1} is not a valid descriptor`);
    return descriptor;
  });
}

export interface ReferrersSource {
  /** True when the registry answered the referrers API; false for the fallback tag. */
  readonly api: boolean;
  readonly manifests: Descriptor[];
}

/** The next page of the referrers API; one on another origin is refused, not skipped or followed. */
function nextPage(
  transport: RegistryTransport,
  link: string | null,
  current: string,
): string | undefined {
  const match = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (match === null) return undefined;
  const next = new URL(match[1] ?? '', current);
  if (next.origin !== new URL(current).origin) {
    throw transport.fail(
      `put the next page of referrers on another origin (${next.origin}); refused`,
    );
  }
  return next.href;
}

/** Pages of the referrers API, or undefined when the registry has no such API (404). */
async function fromApi(transport: RegistryTransport, digest: string, artifactType?: string) {
  const { repository } = transport.image;
  const query =
    artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
  let target: string | undefined = `/v2/${repository}/referrers/${digest}${query}`;
  const manifests: Descriptor[] = [];
  for (let page = 0; target !== undefined; page += 1) {
    if (page >= REFERRER_LIMITS.maxPages) {
      throw new SathosError(
        'TOO_LARGE',
        `registry ${transport.image.registry} answered more than ${REFERRER_LIMITS.maxPages} pages of referrers`,
      );
    }
    const answer = await transport.send({
      method: 'GET',
      target,
      access: 'pull',
      headers: { accept: OCI_MEDIA_TYPES.index },
      maxBytes: 4 * 1024 * 1024,
    });
    if (answer.status === 404 && page === 0) return undefined;
    if (answer.status !== 200)
      throw transport.fail(`answered ${answer.status} to the referrers API`, answer.url);
    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch (cause) {
      throw transport.fail(
        'answered the referrers API with something that is not JSON',
        answer.url,
        cause,
      );
    }
    manifests.push(...indexManifests(transport, json, 'the referrers API answer'));
    if (manifests.length > REFERRER_LIMITS.maxReferrers) {
      throw new SathosError(
        'TOO_LARGE',
        `registry ${transport.image.registry} lists more than ${REFERRER_LIMITS.maxReferrers} referrers`,
      );
    }
    target = nextPage(transport, answer.headers.get('link'), answer.url);
  }
  return manifests;
}

/** The referrers of `digest`, from the API or the fallback tag's index (empty when neither has any). */
export async function readReferrers(
  transport: RegistryTransport,
  digest: string,
  artifactType?: string,
  access: 'pull' | 'push' = 'pull',
): Promise<ReferrersSource> {
  const api = await fromApi(transport, digest, artifactType);
  if (api !== undefined) {
    return {
      api: true,
      manifests: api.filter((d) => artifactType === undefined || d.artifactType === artifactType),
    };
  }
  const tag = fallbackTag(digest);
  const index = await getManifest(transport, tag, access);
  if (index === undefined) return { api: false, manifests: [] };
  const manifests = indexManifests(transport, index.json, `the referrers index tagged ${tag}`);
  return {
    api: false,
    manifests: manifests.filter(
      (d) => artifactType === undefined || d.artifactType === artifactType,
    ),
  };
}

export interface ReferrerBundle {
  /** The referrer manifest's descriptor, as listed. */
  readonly descriptor: Descriptor;
  /** The bundle's JSON, not yet verified. */
  readonly bundle: Readonly<Record<string, unknown>>;
}

function bundleLayer(json: unknown, subject: string): Descriptor | undefined {
  const manifest = json as { subject?: unknown; layers?: unknown } | null;
  if (checkDescriptor(manifest?.subject)?.digest !== subject) return undefined;
  const layers = Array.isArray(manifest?.layers) ? manifest.layers : [];
  return layers
    .map((layer: unknown) => checkDescriptor(layer))
    .find((layer) => layer?.mediaType.startsWith('application/vnd.dev.sigstore.bundle') === true);
}

/** The Sigstore bundles attached to `digest`: each manifest and blob read by digest and checked. */
export async function readReferrerBundles(
  transport: RegistryTransport,
  digest: string,
  referrers: readonly Descriptor[],
): Promise<ReferrerBundle[]> {
  const bundles: ReferrerBundle[] = [];
  let bytesLeft = REFERRER_LIMITS.maxTotalBundleBytes;
  for (const descriptor of referrers) {
    if (descriptor.size > 4 * 1024 * 1024)
      throw new SathosError(
        'TOO_LARGE',
        `referrer manifest ${descriptor.digest} is larger than 4 MiB`,
      );
    const manifest = await getManifest(transport, descriptor.digest);
    const layer = manifest === undefined ? undefined : bundleLayer(manifest.json, digest);
    if (layer === undefined) continue;
    if (layer.size > Math.min(bytesLeft, REFERRER_LIMITS.maxBundleBytes)) {
      throw new SathosError(
        'TOO_LARGE',
        `the bundles attached to ${digest} exceed the size bounds (${REFERRER_LIMITS.maxBundleBytes} bytes each, ${REFERRER_LIMITS.maxTotalBundleBytes} in all)`,
      );
    }
    const bytes = await getBlob(transport, layer, REFERRER_LIMITS.maxBundleBytes);
    bytesLeft -= bytes.length;
    let bundle: unknown;
    try {
      bundle = JSON.parse(bytes.toString('utf8'));
    } catch (cause) {
      throw new SathosError(
        'MALFORMED_BUNDLE',
        `the bundle attached to ${digest} in referrer ${descriptor.digest} is not JSON`,
        { cause },
      );
    }
    if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) {
      throw new SathosError(
        'MALFORMED_BUNDLE',
        `the bundle attached to ${digest} in referrer ${descriptor.digest} is not a JSON object`,
      );
    }
    bundles.push({ descriptor, bundle: bundle as Record<string, unknown> });
  }
  return bundles;
}
