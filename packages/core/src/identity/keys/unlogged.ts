// The one rule for key-signed bundles that carry no transparency-log entry and no timestamp
// (air-gapped or offline key signing). Such a signature proves only that the key signed; nothing
// witnesses when. It is accepted only where that is all the caller asked for.
import type { TrustedPublicKey } from './public-key.js';

/** Where the verifier's trust came from, as the caller named it. */
export interface KeyTrustSource {
  /** Keys the caller named explicitly (flags, inputs, a policy's keys, the job's own key). */
  readonly keys: readonly TrustedPublicKey[];
  /**
   * True when the caller named a trusted root (a file or an embedded name). A named root's log and
   * timestamp thresholds are then demanded of key signatures too: naming a root asks for witnesses.
   */
  readonly rootNamed: boolean;
}

/** The keys a bundle verifier trusts, and whether their signatures may come without a witness. */
export interface KeyTrust {
  readonly keys: readonly TrustedPublicKey[];
  readonly allowUnloggedKeySignatures: boolean;
}

/**
 * Unlogged key signatures are accepted only when the caller named the keys and no trusted root.
 * Log entries and timestamps that are present are still verified, and a key with a validity window
 * still needs a verified time (createBundleVerifier); with no keys named, nothing is relaxed.
 */
export function keyTrust(source: KeyTrustSource): KeyTrust {
  return {
    keys: source.keys,
    allowUnloggedKeySignatures: source.keys.length > 0 && !source.rootNamed,
  };
}
