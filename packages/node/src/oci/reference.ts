// An image named by digest, `registry/repository@sha256:<hex>`, parsed strictly: the registry must
// be named (no implicit Docker Hub), the repository must match the distribution spec's grammar, and
// only a digest pins the image (a tag may stand before it, and is dropped). Plain http is for
// loopback registries only: credentials and attestations never cross a network unencrypted.
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
import { SathosError } from '@sathos/core';

export interface ImageReference {
  /** `host[:port]` as written. */
  readonly registry: string;
  /** e.g. `octo-org/app`. */
  readonly repository: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  /** `https://host[:port]`, or `http://` for a loopback registry. */
  readonly baseUrl: string;
}

export interface ReferenceOptions {
  /**
   * Speak plain http. Default: true for a loopback registry (localhost, 127.0.0.0/8, [::1]) and
   * false otherwise; true for any other host is refused.
   */
  readonly plainHttp?: boolean;
}

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;
const MAX_REFERENCE = 1024;

export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.[0-9]{1,3}){3}$/.test(host);
}

function refuse(reference: string, why: string): never {
  throw new SathosError(
    'USAGE',
    `image reference '${reference.slice(0, 200)}' ${why}; write registry/repository@sha256:<64 hex>`,
  );
}

function splitRegistry(reference: string, name: string): [string, string] {
  const slash = name.indexOf('/');
  const registry = slash < 0 ? '' : name.slice(0, slash);
  const looksLikeHost =
    registry.includes('.') || registry.includes(':') || registry === 'localhost';
  if (!looksLikeHost) refuse(reference, 'names no registry host');
  const port = HOST.exec(registry);
  if (port === null || Number(port[1] ?? '1') > 65535 || Number(port[1] ?? '1') < 1) {
    refuse(reference, `has an invalid registry host '${registry}'`);
  }
  return [registry, name.slice(slash + 1)];
}

/** Parses and checks `registry/repository[:tag]@sha256:<hex>`. */
export function parseImageReference(
  reference: string,
  options: ReferenceOptions = {},
): ImageReference {
  if (reference.length > MAX_REFERENCE)
    refuse(reference, `is longer than ${MAX_REFERENCE} characters`);
  const at = reference.indexOf('@');
  if (at < 0) refuse(reference, 'is not pinned by digest (a tag can be moved)');
  const digest = reference.slice(at + 1);
  if (!DIGEST.test(digest)) refuse(reference, `has an invalid digest '${digest.slice(0, 80)}'`);
  const [registry, path] = splitRegistry(reference, reference.slice(0, at));
  const colon = path.lastIndexOf(':');
  const repository = colon < 0 ? path : path.slice(0, colon);
  if (colon >= 0 && !TAG.test(path.slice(colon + 1))) refuse(reference, 'has an invalid tag');
  if (!REPOSITORY.test(repository) || repository.length > 255) {
    refuse(
      reference,
      `has an invalid repository '${repository.slice(0, 80)}' (lower case a-z, 0-9, separators . _ __ -)`,
    );
  }
  const loopback = isLoopbackHost(registry);
  const plainHttp = options.plainHttp ?? loopback;
  if (plainHttp && !loopback) {
    throw new SathosError(
      'USAGE',
      `plain http to registry '${registry}' refused: only a loopback registry may be reached without TLS`,
    );
  }
  return { registry, repository, digest, baseUrl: `${plainHttp ? 'http' : 'https'}://${registry}` };
}

/** The reference as written back: `registry/repository@digest`. */
export function formatImageReference(image: ImageReference): string {
  return `${image.registry}/${image.repository}@${image.digest}`;
}
