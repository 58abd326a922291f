// Who must have signed an attestation made elsewhere, from the flags people know from cosign and
// `gh attestation verify`: one place where the CLI and the verify-provenance action turn them into
// what the bundle verifier checks. Nothing is trusted by default: with no signer named it refuses.
import { SathosError } from '../../errors.js';
import { wholePatternProblem } from '../../pattern.js';
import {
  GITHUB_ACTIONS_ISSUER,
  githubClaimRequirements,
  type ClaimRequirement,
  type GithubSignerFlags,
} from '../../identity/signers/github-claims.js';
import type { IdentityPolicy } from '../../identity/signers/signer-identity.js';
import { SLSA_PROVENANCE_V1 } from '../evidence/predicates.js';

export interface SignerFlags extends GithubSignerFlags {
  readonly certIdentity?: string;
  readonly certIdentityRegexp?: string;
  readonly certOidcIssuer?: string;
  readonly predicateType?: string;
  /** Public keys were given (--key): the signer is one of them. */
  readonly keyed?: boolean;
  /** Accept any signer the trusted root certifies: the explicit opt-out of naming one. */
  readonly insecureAnySigner?: boolean;
}

/** What a bundle's signer and content must be, as the bundle verifier takes it. */
export interface SignerPolicy {
  readonly identity?: IdentityPolicy;
  readonly claims: readonly ClaimRequirement[];
  /** Required in-toto predicate type; SLSA provenance v1 by default when GitHub flags are used. */
  readonly predicateType?: string;
}

function usage(message: string): SathosError {
  return new SathosError('USAGE', message);
}

function subjectFlag(f: SignerFlags): string | undefined {
  if (f.certIdentity !== undefined && f.certIdentityRegexp !== undefined) {
    throw usage('give --cert-identity or --cert-identity-regexp, not both');
  }
  if (f.certIdentityRegexp !== undefined) {
    const problem = wholePatternProblem(f.certIdentityRegexp);
    if (problem !== undefined) {
      throw usage(`--cert-identity-regexp is not a valid RE2 pattern: ${problem}`);
    }
  }
  return f.certIdentity ?? f.certIdentityRegexp;
}

/** As in cosign, an identity needs its issuer and an issuer needs an identity (or GitHub claims). */
function assertPaired(f: SignerFlags, subject: string | undefined, claimCount: number): void {
  if (subject !== undefined && f.certOidcIssuer === undefined) {
    throw usage(
      `${f.certIdentity === undefined ? '--cert-identity-regexp' : '--cert-identity'} needs --cert-oidc-issuer: a subject means nothing without the issuer that vouched for it`,
    );
  }
  if (f.certOidcIssuer !== undefined && subject === undefined && claimCount === 0) {
    throw usage(
      '--cert-oidc-issuer needs --cert-identity or --cert-identity-regexp (or a GitHub flag such as --repo): any account of that issuer could have signed',
    );
  }
}

/** One signer kind per run, and an explicit choice between naming a signer and accepting any. */
function assertOneKind(f: SignerFlags, certificateNamed: boolean): void {
  if (f.keyed === true && certificateNamed) {
    throw usage(
      'give --key or a certificate signer (--cert-identity, --cert-identity-regexp, GitHub flags), not both: a bundle is signed by one kind; verify each kind with its own run',
    );
  }
  const named = certificateNamed || f.keyed === true;
  if (named && f.insecureAnySigner === true) {
    throw usage('--insecure-any-signer contradicts the signer flags given; drop one');
  }
  if (!named && f.insecureAnySigner !== true) {
    throw usage(
      'name the signer: --cert-identity (or --cert-identity-regexp) with --cert-oidc-issuer, GitHub flags (--owner, --repo, --signer-workflow…), or --key; --insecure-any-signer accepts anyone',
    );
  }
}

/**
 * The signer policy the flags name. GitHub flags imply GitHub Actions' issuer unless
 * --cert-oidc-issuer says otherwise, and SLSA provenance v1 unless --predicate-type says otherwise
 * (as gh does); --owner or --repo alone also confine the signer workflow to that owner or repository.
 */
export function signerPolicyFromFlags(f: SignerFlags): SignerPolicy {
  const subject = subjectFlag(f);
  const claims = githubClaimRequirements(f, { subjectNamed: subject !== undefined });
  assertPaired(f, subject, claims.length);
  assertOneKind(f, subject !== undefined || claims.length > 0);
  if (f.predicateType === '')
    throw usage('--predicate-type needs a URI, e.g. ' + SLSA_PROVENANCE_V1);
  const predicateType = f.predicateType ?? (claims.length > 0 ? SLSA_PROVENANCE_V1 : undefined);
  const base = predicateType === undefined ? { claims } : { claims, predicateType };
  if (subject === undefined && claims.length === 0) return base;
  const identity: IdentityPolicy = {
    ...(f.certIdentity !== undefined && { subject: f.certIdentity }),
    ...(f.certIdentityRegexp !== undefined && { subjectRegexp: f.certIdentityRegexp }),
    issuer: f.certOidcIssuer ?? GITHUB_ACTIONS_ISSUER,
  };
  return { ...base, identity };
}
