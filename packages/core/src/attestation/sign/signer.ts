// What signStatement needs from a signer: a @sigstore/sign Signer, its witnesses, and the service
// URLs to name when something fails.
import type { Signer, Witness } from '@sigstore/sign';

/** The URLs a signer talks to, so a failure can say which one could not be reached. */
export interface SignerServices {
  readonly fulcioURL?: string;
  readonly rekorURL?: string;
  readonly tsaURL?: string;
}

interface SignerBase {
  readonly signer: Signer;
  readonly witnesses: readonly Witness[];
  readonly services: SignerServices;
}

/** Signs with a local private key; verifiers are given the public key (by keyId). */
export interface KeyStatementSigner extends SignerBase {
  readonly kind: 'key';
  /** `sha256:<hex of DER SPKI>`: also the bundle's `publicKey.hint` and the DSSE keyid. */
  readonly keyId: string;
  readonly publicKeyPem: string;
}

/** Signs with an ephemeral key certified by Fulcio for an OIDC identity. */
export interface KeylessStatementSigner extends SignerBase {
  readonly kind: 'keyless';
}

export type StatementSigner = KeyStatementSigner | KeylessStatementSigner;
