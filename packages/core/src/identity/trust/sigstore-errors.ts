// Translates what sigstore-js throws into our codes, keeping its error as the cause and its code in
// the message, so a user sees which check failed without reading a stack.
import type { X509Certificate } from '@sigstore/core';
import { PolicyError, VerificationError } from '@sigstore/verify';
import { SathosError, describeCause, isSathosError, type ErrorCode } from '../../errors.js';
import { githubTrust, type Trust } from './trusted-root.js';

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

/** True when a CA of `trust` has the subject that issued `leaf`. */
function trustIssues(trust: Trust, leaf: X509Certificate): boolean {
  return trust.material.certificateAuthorities.some((ca) =>
    ca.certChain.some((c) => c.subject.equals(leaf.issuer)),
  );
}

/**
 * A hint for a certificate GitHub's own Fulcio (fulcio.githubapp.com) issued, checked against a
 * root that does not hold GitHub's CA: the usual cause is the wrong root, not a forged bundle.
 */
export function githubInstanceHint(leaf: X509Certificate, trust: Trust): string | undefined {
  if (trustIssues(trust, leaf) || !trustIssues(githubTrust(), leaf)) return undefined;
  return "the certificate was issued by GitHub's Sigstore instance (fulcio.githubapp.com), which this trusted root does not hold; verify it against GitHub's root: --trusted-root embedded:github";
}

/** Rewrites a failure's message with a more precise account of it, keeping code, place and cause. */
export function withDetail(error: SathosError, message: string): SathosError {
  return new SathosError(error.code, message, {
    ...(error.where !== undefined && { where: error.where }),
    cause: error.cause ?? error,
  });
}
