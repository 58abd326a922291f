// OCI registries: attach Sigstore bundles to images as referrers and read them back.
export { parseImageReference, formatImageReference, isLoopbackHost } from './reference.js';
export type { ImageReference, ReferenceOptions } from './reference.js';
export type { RegistryCredentials } from './auth.js';
export type { TransportOptions } from './transport.js';
export { OCI_MEDIA_TYPES, sha256Digest, type Descriptor } from './registry.js';
export { fallbackTag, REFERRER_LIMITS, type ReferrerBundle } from './referrers.js';
export {
  pushAttestation,
  listReferrers,
  fetchReferrerBundles,
  SIGSTORE_BUNDLE_V03,
} from './attach.js';
export type {
  OciOptions,
  PushAttestationOptions,
  PushedAttestation,
  ListReferrersOptions,
} from './attach.js';
