// @sathos/testkit: test infrastructure only; never imported by shipped code.
export * from './sigstore-stand-in.js';
export * from './stand-in-oidc.js';
export * from './github-claims.js';
export {
  standInTrustedRoot,
  TRUSTED_ROOT_MEDIA_TYPE,
  type TrustedRootJSON,
} from './stand-in-trusted-root.js';
export { startLoopbackServer, type LoopbackServer, type Route } from './stand-in-http.js';
export * from './sigstore-verify.js';
export * from './registry.js';
export * from './oci-stand-in.js';
