// A reference check with sigstore-js itself, to cross-examine bundles our own code signs or verifies.
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  Verifier,
  toSignedEntity,
  toTrustMaterial,
  type Signer,
  type VerifierOptions,
} from '@sigstore/verify';
import { createPublicKey } from 'node:crypto';
import { TRUSTED_ROOT_MEDIA_TYPE, type TrustedRootJSON } from './stand-in-trusted-root.js';

export interface ReferenceVerifyOptions {
  readonly trustedRoot?: TrustedRootJSON;
  /** keyId (the bundle's publicKey hint) → PEM public key, for key-signed bundles. */
  readonly publicKeys?: Readonly<Record<string, string>>;
  readonly thresholds?: VerifierOptions;
  readonly subjectAlternativeName?: string;
  readonly issuer?: string;
}

/** A trusted root that trusts nothing: for key-signed bundles with no witnesses. */
export const EMPTY_TRUSTED_ROOT: TrustedRootJSON = {
  mediaType: TRUSTED_ROOT_MEDIA_TYPE,
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

function keyFinder(keys: Readonly<Record<string, string>>) {
  return (hint: string) => {
    const pem = keys[hint];
    if (pem === undefined) throw new Error(`no public key for hint ${hint}`);
    return { publicKey: createPublicKey(pem), validFor: () => true };
  };
}

/** Verifies a serialized bundle with @sigstore/verify; throws its VerificationError/PolicyError. */
export function verifyWithSigstoreJs(
  bundleJSON: unknown,
  options: ReferenceVerifyOptions = {},
): Signer {
  const root = TrustedRoot.fromJSON(options.trustedRoot ?? EMPTY_TRUSTED_ROOT);
  const material = toTrustMaterial(root, keyFinder(options.publicKeys ?? {}));
  const verifier = new Verifier(material, options.thresholds ?? {});
  const entity = toSignedEntity(bundleFromJSON(bundleJSON));
  return verifier.verify(entity, {
    ...(options.subjectAlternativeName === undefined
      ? {}
      : { subjectAlternativeName: options.subjectAlternativeName }),
    ...(options.issuer === undefined ? {} : { extensions: { issuer: options.issuer } }),
  });
}
