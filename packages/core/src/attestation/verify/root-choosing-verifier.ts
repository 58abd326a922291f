// One verifier over many bundles whose roots may differ: the named trusted root for all of them,
// or — when none is named — each bundle's own embedded root, chosen from its certificate's issuer
// (trust-choice.ts). Claim requirements given here apply to every bundle verified through it, so
// a chain verifier handed this checker enforces the gh signer flags on every record.
import type { ClaimRequirement } from '../../identity/signers/github-claims.js';
import type { TrustedPublicKey } from '../../identity/keys/public-key.js';
import type { Trust } from '../../identity/trust/trusted-root.js';
import { bundleInstance, embeddedTrust } from './trust-choice.js';
import type { VerifiedBundle } from './verified-bundle.js';
import {
  createBundleVerifier,
  type BundleExpectation,
  type BundleVerifier,
} from './verify-bundle.js';

export interface RootChoosingOptions {
  /** The root named by the caller; undefined chooses each bundle's embedded root. */
  readonly trust?: Trust;
  readonly keys?: readonly TrustedPublicKey[];
  readonly allowUnloggedKeySignatures?: boolean;
  /** Certificate claims every bundle's signer must carry (the gh flags). */
  readonly claims?: readonly ClaimRequirement[];
}

export interface RootChoosingVerifier {
  /** The verifier a bundle document is judged by. */
  verifierFor(document: unknown): BundleVerifier;
  verify(document: unknown, expectation?: BundleExpectation): VerifiedBundle;
  /** Descriptions of every root used so far, in first-use order. */
  roots(): string[];
}

export function rootChoosingVerifier(options: RootChoosingOptions): RootChoosingVerifier {
  const verifiers = new Map<Trust, BundleVerifier>();
  const verifierFor = (document: unknown): BundleVerifier => {
    const trust = options.trust ?? embeddedTrust(bundleInstance(document));
    let verifier = verifiers.get(trust);
    if (verifier === undefined) {
      verifier = createBundleVerifier(trust, {
        ...(options.keys !== undefined && { keys: options.keys }),
        ...(options.allowUnloggedKeySignatures !== undefined && {
          allowUnloggedKeySignatures: options.allowUnloggedKeySignatures,
        }),
      });
      verifiers.set(trust, verifier);
    }
    return verifier;
  };
  const claims = options.claims ?? [];
  return {
    verifierFor,
    verify: (document, expectation = {}) =>
      verifierFor(document).verify(document, {
        ...expectation,
        ...(claims.length > 0 && { claims: [...claims, ...(expectation.claims ?? [])] }),
      }),
    roots: () => [...verifiers.keys()].map((t) => t.description),
  };
}
