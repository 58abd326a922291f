// Attaching a Sigstore bundle to an image as an OCI 1.1 referrer, shaped as actions/attest's
// push-to-registry writes it: the bundle as the one layer, the empty config, `artifactType` the
// bundle's media type, `subject` the image, annotations naming the content and predicate type. When
// the registry has no referrers API the `sha256-<hex>` index is updated read-modify-write and read
// back, so a concurrent writer that replaced our entry is noticed and the update made again.
// https://github.com/opencontainers/image-spec/blob/main/manifest.md#guidelines-for-artifact-usage
import { SathosError } from '@sathos/core';
import { parseImageReference, type ReferenceOptions } from './reference.js';
import {
  getManifest,
  headManifest,
  OCI_MEDIA_TYPES,
  pushBlob,
  putManifest,
  type Descriptor,
} from './registry.js';
import {
  fallbackTag,
  readReferrerBundles,
  readReferrers,
  indexManifests,
  type ReferrerBundle,
} from './referrers.js';
import { RegistryTransport, type TransportOptions } from './transport.js';

export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface OciOptions extends TransportOptions, ReferenceOptions {
  /** `registry/repository@sha256:<hex>`. */
  readonly image: string;
}

export interface PushAttestationOptions extends OciOptions {
  /** The Sigstore bundle's JSON. */
  readonly bundle: unknown;
  /** For the `org.opencontainers.image.created` annotation (default: the clock). */
  readonly now?: () => Date;
}

export interface PushedAttestation {
  /** The referrer manifest's digest. */
  readonly digest: string;
  /** How it can be found: the registry's referrers API, or the fallback tag's index. */
  readonly via: 'referrers-api' | 'fallback-tag';
}

/** Each 412 means another writer's update landed, so this many writers at once all get through. */
const FALLBACK_ATTEMPTS = 5;

function bundleFacts(bundle: unknown): { mediaType: string; predicateType: string | undefined } {
  const b = bundle as { mediaType?: unknown; dsseEnvelope?: { payload?: unknown } } | null;
  if (
    typeof b !== 'object' ||
    b === null ||
    Array.isArray(b) ||
    typeof b.mediaType !== 'string' ||
    !b.mediaType.startsWith('application/vnd.dev.sigstore.bundle')
  ) {
    throw new SathosError(
      'USAGE',
      'only a Sigstore bundle (an object with a application/vnd.dev.sigstore.bundle… mediaType) can be attached to an image',
    );
  }
  let predicateType: string | undefined;
  try {
    const payload = b.dsseEnvelope?.payload;
    const statement =
      typeof payload === 'string'
        ? (JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
            predicateType?: unknown;
          })
        : undefined;
    predicateType =
      typeof statement?.predicateType === 'string' ? statement.predicateType : undefined;
  } catch {
    predicateType = undefined;
  }
  return { mediaType: b.mediaType, predicateType };
}

function annotationsOf(facts: ReturnType<typeof bundleFacts>, now: Date): Record<string, string> {
  return {
    'org.opencontainers.image.created': now.toISOString(),
    ...(facts.predicateType === undefined
      ? { 'dev.sigstore.bundle.content': 'message-signature' }
      : {
          'dev.sigstore.bundle.content': 'dsse-envelope',
          'dev.sigstore.bundle.predicateType': facts.predicateType,
        }),
  };
}

/**
 * Adds `referrer` to the subject's fallback index: conditionally (If-Match the ETag read, or
 * If-None-Match: * to create it) where the registry honours that, then read back to see that it
 * stayed. A registry that ignores the conditions (distribution 2.8) leaves a window: a writer that
 * read before our write and writes after our read-back drops our entry. The tag schema cannot close
 * it there; docs/storage.md says so.
 */
async function updateFallbackIndex(
  transport: RegistryTransport,
  subject: string,
  referrer: Descriptor,
): Promise<void> {
  const tag = fallbackTag(subject);
  for (let attempt = 1; attempt <= FALLBACK_ATTEMPTS; attempt += 1) {
    const current = await getManifest(transport, tag, 'push');
    const manifests =
      current === undefined
        ? []
        : indexManifests(transport, current.json, `the referrers index tagged ${tag}`);
    if (manifests.some((d) => d.digest === referrer.digest)) return;
    const index = {
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.index,
      manifests: [...manifests, referrer],
    };
    const bytes = Buffer.from(JSON.stringify(index));
    const condition =
      current === undefined
        ? ({ ifNoneMatch: '*' } as const)
        : { ifMatch: current.etag ?? `"${current.digest}"` };
    const written = await putManifest(transport, tag, OCI_MEDIA_TYPES.index, bytes, condition);
    if (written === undefined) continue; // 412: the index changed since we read it; read it again
    const after = await getManifest(transport, tag, 'push');
    const listed =
      after === undefined
        ? []
        : indexManifests(transport, after.json, `the referrers index tagged ${tag}`);
    if (listed.some((d) => d.digest === referrer.digest)) return;
  }
  throw transport.fail(
    `the referrers index tagged ${tag} kept losing our entry (concurrent writers); push again`,
  );
}

/** Attaches the bundle to the image; returns the referrer manifest's digest. */
export async function pushAttestation(options: PushAttestationOptions): Promise<PushedAttestation> {
  const image = parseImageReference(options.image, options);
  const facts = bundleFacts(options.bundle);
  const transport = new RegistryTransport(image, 'STORE_FAILED', options);
  const subject = await headManifest(transport, image.digest);
  if (subject === undefined) {
    throw transport.fail(
      `has no image ${image.repository}@${image.digest}; push the image before its attestation`,
    );
  }
  const bundle = await pushBlob(transport, Buffer.from(JSON.stringify(options.bundle)));
  const config = await pushBlob(transport, Buffer.from('{}'));
  const annotations = annotationsOf(facts, (options.now ?? (() => new Date()))());
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.manifest,
    artifactType: facts.mediaType,
    config: { ...config, mediaType: OCI_MEDIA_TYPES.empty },
    layers: [{ ...bundle, mediaType: facts.mediaType }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await putManifest(transport, undefined, OCI_MEDIA_TYPES.manifest, bytes);
  const { api } = await readReferrers(transport, image.digest, undefined, 'push');
  if (api) return { digest, via: 'referrers-api' };
  const referrer = {
    mediaType: OCI_MEDIA_TYPES.manifest,
    digest,
    size: bytes.length,
    artifactType: facts.mediaType,
    annotations,
  };
  await updateFallbackIndex(transport, image.digest, referrer);
  return { digest, via: 'fallback-tag' };
}

export interface ListReferrersOptions extends OciOptions {
  /** Only referrers of this artifact type. */
  readonly artifactType?: string;
}

/** The descriptors that refer to the image (referrers API, or the fallback tag's index). */
export async function listReferrers(options: ListReferrersOptions): Promise<Descriptor[]> {
  const image = parseImageReference(options.image, options);
  const transport = new RegistryTransport(image, 'USAGE', options);
  return (await readReferrers(transport, image.digest, options.artifactType)).manifests;
}

/** The Sigstore bundles attached to the image (of `artifactType`, default any bundle version). */
export async function fetchReferrerBundles(
  options: ListReferrersOptions,
): Promise<ReferrerBundle[]> {
  const image = parseImageReference(options.image, options);
  const transport = new RegistryTransport(image, 'USAGE', options);
  const { manifests } = await readReferrers(transport, image.digest, options.artifactType);
  const bundles = manifests.filter(
    (d) => d.artifactType?.startsWith('application/vnd.dev.sigstore.bundle') === true,
  );
  return readReferrerBundles(transport, image.digest, bundles);
}
