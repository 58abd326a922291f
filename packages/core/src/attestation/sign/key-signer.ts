// A key signer: Node's crypto signs with a loaded ECDSA P-256 key. No witnesses unless URLs are given,
// so it works air-gapped.
import { sign } from 'node:crypto';
import type { Signature, Signer } from '@sigstore/sign';
import {
  loadSigningKey,
  type LoadPrivateKeyOptions,
  type SigningKey,
} from '../../identity/keys/signing-key.js';
import { buildWitnesses, type NetworkOptions, type WitnessOptions } from './witnesses.js';
import type { KeyStatementSigner } from './signer.js';

export interface KeySignerOptions extends WitnessOptions, NetworkOptions, LoadPrivateKeyOptions {
  readonly privateKeyPem: string;
}

/** A @sigstore/sign Signer over a loaded key; the key hint is the keyId. */
export function nodeKeySigner(key: SigningKey): Signer {
  return {
    sign: (data: Buffer): Promise<Signature> =>
      Promise.resolve({
        signature: sign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: key.keyId },
      }),
  };
}

/** A signer for an already loaded key (load once, sign many). */
export function keySignerFromKey(
  key: SigningKey,
  options: WitnessOptions & NetworkOptions = {},
): KeyStatementSigner {
  return {
    kind: 'key',
    keyId: key.keyId,
    publicKeyPem: key.publicKeyPem,
    signer: nodeKeySigner(key),
    witnesses: buildWitnesses(options, options),
    services: {
      ...(options.rekorURL === undefined ? {} : { rekorURL: options.rekorURL }),
      ...(options.tsaURL === undefined ? {} : { tsaURL: options.tsaURL }),
    },
  };
}

/** Reads a PEM private key (KEY_UNREADABLE when it cannot) and returns a signer for it. */
export function keySigner(options: KeySignerOptions): KeyStatementSigner {
  const key = loadSigningKey(options.privateKeyPem, options);
  return keySignerFromKey(key, options);
}
