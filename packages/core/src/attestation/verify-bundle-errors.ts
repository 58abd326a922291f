// Translates what sigstore-js throws into our codes, keeping its error as the cause and its code in
// the message, so a user sees which check failed without reading a stack.
import { PolicyError, VerificationError } from '@sigstore/verify';
import { SathosError, describeCause, isSathosError, type ErrorCode } from '../errors.js';

const SIGSTORE_CODES: Readonly<Record<string, ErrorCode>> = {
  TLOG_ERROR: 'TLOG_INVALID',
  TLOG_INCLUSION_PROOF_ERROR: 'TLOG_INVALID',
  TLOG_INCLUSION_PROMISE_ERROR: 'TLOG_INVALID',
  TLOG_MISSING_INCLUSION_ERROR: 'TLOG_INVALID',
  TLOG_BODY_ERROR: 'TLOG_INVALID',
  CERTIFICATE_ERROR: 'CERTIFICATE_INVALID',
  PUBLIC_KEY_ERROR: 'UNTRUSTED_SIGNER',
  SIGNATURE_ERROR: 'SIGNATURE_INVALID',
  TIMESTAMP_ERROR: 'TIMESTAMP_INVALID',
  UNTRUSTED_SIGNER_ERROR: 'IDENTITY_MISMATCH',
  NOT_IMPLEMENTED_ERROR: 'UNSUPPORTED_BUNDLE',
};

const ADVICE: Partial<Record<ErrorCode, string>> = {
  TLOG_INVALID: 'the transparency log entry does not prove this signature',
  CERTIFICATE_INVALID: 'the signing certificate does not chain to the trusted root at signing time',
  UNTRUSTED_SIGNER: 'the signing key is not trusted for this signature',
  SIGNATURE_INVALID: 'the signature does not match the signed content',
  TIMESTAMP_INVALID: 'no trusted, valid signing time',
  IDENTITY_MISMATCH: 'the signer is not the expected identity',
  UNSUPPORTED_BUNDLE: 'the bundle uses a feature this verifier does not support',
};

/** Any failure during sigstore-js verification, as a SathosError (never rethrows a foreign error). */
export function fromSigstoreError(error: unknown, where: string | undefined): SathosError {
  if (isSathosError(error)) return error;
  const at = { ...(where !== undefined && { where }), cause: error };
  if (error instanceof VerificationError || error instanceof PolicyError) {
    const code = SIGSTORE_CODES[error.code] ?? 'SIGNATURE_INVALID';
    const advice = ADVICE[code] ?? 'verification failed';
    return new SathosError(code, `${advice} (sigstore ${error.code}: ${error.message})`, at);
  }
  // A crash inside sigstore-js on hostile input is still a rejection of that input.
  return new SathosError(
    'MALFORMED_BUNDLE',
    `the bundle could not be verified: ${describeCause(error)}`,
    at,
  );
}
