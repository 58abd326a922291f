// A keyless signer: an OIDC identity token buys a short-lived Fulcio certificate for an ephemeral key;
// a Rekor entry and/or an RFC 3161 timestamp proves the signature was made while it was valid.
import { FulcioSigner } from '@sigstore/sign';
import { SathosError } from '../../errors.js';
import {
  buildWitnesses,
  fetchOptions,
  serviceURL,
  type NetworkOptions,
  type WitnessOptions,
} from './witnesses.js';
import type { KeylessStatementSigner } from './signer.js';

export interface KeylessSignerOptions extends WitnessOptions, NetworkOptions {
  /** The OIDC token, or a function fetching a fresh one (called once per signature). */
  readonly identityToken: string | (() => Promise<string>);
  /** Fulcio base URL (the client appends `/api/v2/signingCert`). */
  readonly fulcioURL: string;
}

function tokenProvider(token: KeylessSignerOptions['identityToken']): {
  getToken: () => Promise<string>;
} {
  return { getToken: typeof token === 'string' ? () => Promise.resolve(token) : token };
}

/** Configures keyless signing; at least one witness (Rekor or TSA) is required. */
export function keylessSigner(options: KeylessSignerOptions): KeylessStatementSigner {
  if (options.rekorURL === undefined && options.tsaURL === undefined) {
    throw new SathosError(
      'USAGE',
      'keyless signing needs a witness: give a Rekor URL, a TSA URL or both (a bare certificate expires in minutes)',
    );
  }
  const fulcioURL = serviceURL(options.fulcioURL, 'Fulcio');
  return {
    kind: 'keyless',
    signer: new FulcioSigner({
      identityProvider: tokenProvider(options.identityToken),
      fulcioBaseURL: fulcioURL,
      ...fetchOptions(options),
    }),
    witnesses: buildWitnesses(options, options),
    services: {
      fulcioURL,
      ...(options.rekorURL === undefined ? {} : { rekorURL: options.rekorURL }),
      ...(options.tsaURL === undefined ? {} : { tsaURL: options.tsaURL }),
    },
  };
}
