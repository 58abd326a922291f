// How an action signs its records: a PEM key from a secret, or keyless — the job's OIDC token buys a
// Fulcio certificate. Either way the record's actor claims name exactly the identity that signs.
import { X509Certificate } from '@sigstore/core';
import {
  SathosError,
  certificateClaims,
  certifiedClaimProblems,
  expectedCertificateClaims,
  githubWorkflowClaims,
  isSathosError,
  keySigner,
  keylessSigner,
  signStatement,
  subjectAlternativeName,
  type ActorClaims,
  type GitHubWorkflowClaims,
  type SignFunction,
} from '@sathos/core';
import type { Env } from './inputs.js';
import { assertIdTokenAvailable, requestIdToken, unverifiedClaims } from './oidc.js';
import type { Fetch } from './rest.js';

export type SigningChoice =
  | { readonly kind: 'key'; readonly privateKeyPem: string }
  | {
      readonly kind: 'keyless';
      readonly fulcioURL: string;
      readonly rekorURL?: string;
      readonly tsaURL?: string;
    };

export interface JobSigner {
  readonly sign: SignFunction;
  readonly actor: ActorClaims;
  /** One line naming the identity, for logs. */
  readonly description: string;
  /**
   * The job's workflow claims, when asked for (`requireWorkflowClaims`): every signature's
   * certificate was checked to certify exactly these, so evidence built from them is certified.
   */
  readonly workflowClaims?: GitHubWorkflowClaims;
}

export interface JobSignerContext {
  readonly env: Env;
  readonly fetch: Fetch;
  /** GITHUB_SERVER_URL: Fulcio names a workflow `<server>/<job_workflow_ref>`. */
  readonly serverUrl: string;
  /** Keyless only: read the token's workflow claims and refuse any certificate not certifying them. */
  readonly requireWorkflowClaims?: boolean;
}

/** Fails before any work when the chosen signing cannot succeed (keyless without id-token: write). */
export function preflightSigning(choice: SigningChoice, env: Env): void {
  if (choice.kind === 'keyless') assertIdTokenAvailable(env);
}

/** The identity Fulcio certifies for a GitHub Actions token: the job's workflow, at its ref. */
function expectedIdentity(token: string, serverUrl: string): { issuer: string; subject: string } {
  const claims = unverifiedClaims(token);
  const { iss, job_workflow_ref: workflow } = claims;
  if (typeof iss !== 'string' || typeof workflow !== 'string' || workflow === '') {
    throw new SathosError(
      'USAGE',
      'the OIDC token has no issuer or job_workflow_ref; keyless signing here needs a GitHub Actions token',
    );
  }
  return { issuer: iss, subject: `${serverUrl}/${workflow}` };
}

/** The SAN and Fulcio claims of a bundle's leaf certificate (read, not verified: our own fresh signature). */
function certifiedIdentity(bundle: unknown): {
  issuer?: string;
  subject?: string;
  claims: ReturnType<typeof certificateClaims>;
} {
  const raw = (bundle as { verificationMaterial?: { certificate?: { rawBytes?: unknown } } })
    .verificationMaterial?.certificate?.rawBytes;
  if (typeof raw !== 'string') return { claims: {} };
  const cert = X509Certificate.parse(Buffer.from(raw, 'base64'));
  const claims = certificateClaims(cert);
  const subject = subjectAlternativeName(cert);
  return {
    ...(claims.issuer === undefined ? {} : { issuer: claims.issuer }),
    ...(subject === undefined ? {} : { subject }),
    claims,
  };
}

/**
 * The token's GitHub workflow claims, or undefined for a token without them (another issuer): then
 * the step is decided with no claims, and a policy rule on a claim denies it (fail closed).
 */
function claimsIfPresent(token: string, serverUrl: string): GitHubWorkflowClaims | undefined {
  try {
    return githubWorkflowClaims(unverifiedClaims(token), serverUrl);
  } catch (error) {
    if (isSathosError(error)) return undefined;
    throw error;
  }
}

async function keylessJobSigner(
  choice: Extract<SigningChoice, { kind: 'keyless' }>,
  context: JobSignerContext,
): Promise<JobSigner> {
  const token = await requestIdToken({ env: context.env, fetch: context.fetch });
  const expected = expectedIdentity(token, context.serverUrl);
  const workflowClaims =
    context.requireWorkflowClaims === true
      ? githubWorkflowClaims(unverifiedClaims(token), context.serverUrl)
      : claimsIfPresent(token, context.serverUrl);
  const signer = keylessSigner({
    identityToken: token,
    fulcioURL: choice.fulcioURL,
    ...(choice.rekorURL === undefined ? {} : { rekorURL: choice.rekorURL }),
    ...(choice.tsaURL === undefined ? {} : { tsaURL: choice.tsaURL }),
  });
  // The record claims this identity; a certificate for any other would make the chain lie, so
  // nothing is returned (and nothing appended) unless Fulcio certified exactly it.
  const sign: SignFunction = async (statement) => {
    const bundle = await signStatement(statement, signer);
    const got = certifiedIdentity(bundle);
    if (got.issuer !== expected.issuer || got.subject !== expected.subject) {
      throw new SathosError(
        'SIGNING_FAILED',
        `Fulcio certified ${got.subject ?? '?'} (issuer ${got.issuer ?? '?'}), not the job's ${expected.subject} (issuer ${expected.issuer}); check fulcio-url`,
      );
    }
    // Evidence built from the token's claims (provenance) is only as true as what Fulcio certified.
    const problems =
      workflowClaims === undefined ? [] : certifiedClaimProblems(workflowClaims, got.claims);
    if (problems.length > 0) {
      throw new SathosError(
        'SIGNING_FAILED',
        `the certificate does not certify the job's claims (${problems.join('; ')}); check fulcio-url`,
      );
    }
    return bundle;
  };
  return {
    sign,
    // The step is decided (and its record written) before the certificate exists: the claims it
    // carries are those Fulcio will certify for this token, and sign() refuses any certificate that
    // certifies other values, so a policy rule on a claim judges now what verify-chain judges later.
    actor: {
      kind: 'certificate',
      issuer: expected.issuer,
      subject: expected.subject,
      ...(workflowClaims === undefined
        ? {}
        : { claims: expectedCertificateClaims(workflowClaims) }),
    },
    description: `keyless: ${expected.subject} (issuer ${expected.issuer})`,
    ...(context.requireWorkflowClaims === true && workflowClaims !== undefined
      ? { workflowClaims }
      : {}),
  };
}

/** A signer for this job's records, and the actor claims its records carry. */
export async function jobSigner(
  choice: SigningChoice,
  context: JobSignerContext,
): Promise<JobSigner> {
  if (choice.kind === 'keyless') return keylessJobSigner(choice, context);
  const signer = keySigner({ privateKeyPem: choice.privateKeyPem });
  return {
    sign: (statement) => signStatement(statement, signer),
    actor: { kind: 'key', keyId: signer.keyId },
    description: `key ${signer.keyId}`,
  };
}
