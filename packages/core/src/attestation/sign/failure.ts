// Turns whatever @sigstore/sign throws into one SIGNING_FAILED line naming the service that failed
// and what to do about it. The identity token never appears in a message or a cause.
import { InternalError } from '@sigstore/sign';
import { SathosError, describeCause, isSathosError } from '../../errors.js';
import type { SignerServices } from './signer.js';

/** The innermost readable reason, e.g. `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9` or `(400) bad token`. */
function rootReason(error: unknown): string {
  let current = error;
  for (
    let depth = 0;
    depth < 8 && current instanceof InternalError && current.cause !== undefined;
    depth++
  ) {
    current = current.cause;
  }
  return describeCause(current);
}

function messageFor(error: InternalError, services: SignerServices): string {
  const reason = rootReason(error);
  switch (error.code) {
    case 'IDENTITY_TOKEN_READ_ERROR':
      return `could not obtain an OIDC identity token (${reason}); check the token source (in GitHub Actions: permissions id-token: write)`;
    case 'IDENTITY_TOKEN_PARSE_ERROR':
      return 'the OIDC identity token is not a JWT with a sub or verified email claim; pass the raw token';
    case 'CA_CREATE_SIGNING_CERTIFICATE_ERROR':
      return `Fulcio at ${services.fulcioURL ?? '(unset)'} issued no signing certificate (${reason}); check the Fulcio URL, that it is reachable and that it accepts this token's issuer`;
    case 'TLOG_CREATE_ENTRY_ERROR':
    case 'TLOG_FETCH_ENTRY_ERROR':
      return `Rekor at ${services.rekorURL ?? '(unset)'} did not log the signature (${reason}); check the Rekor URL and that it is reachable`;
    case 'TSA_CREATE_TIMESTAMP_ERROR':
      return `the timestamp authority at ${services.tsaURL ?? '(unset)'} issued no timestamp (${reason}); check the TSA URL and that it is reachable`;
  }
}

/** The cause to keep: an InternalError's message may quote the identity token, so drop that layer. */
function safeCause(error: unknown): unknown {
  return error instanceof InternalError && error.code === 'IDENTITY_TOKEN_PARSE_ERROR'
    ? error.cause
    : error;
}

export function signingFailure(error: unknown, services: SignerServices): SathosError {
  if (isSathosError(error)) return error;
  const message =
    error instanceof InternalError
      ? messageFor(error, services)
      : `signing failed (${describeCause(error)}); check the signing key or service configuration`;
  return new SathosError('SIGNING_FAILED', message, { cause: safeCause(error) });
}
