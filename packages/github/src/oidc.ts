// The job's OIDC identity token, for keyless signing: the runner hands a request URL and bearer token
// only to jobs granted `id-token: write`.
// https://docs.github.com/en/actions/reference/security/oidc#methods-for-requesting-the-oidc-token
import { SathosError, describeCause } from '@sathos/core';
import type { Env } from './inputs.js';
import type { Fetch } from './rest.js';

/** Fulcio accepts tokens minted for this audience. */
export const SIGSTORE_AUDIENCE = 'sigstore';

/**
 * The audience of the token gate-deploy hands the deploy command once it allowed (docs/gate.md):
 * it names the environment, so a cloud trust policy keyed on `aud` grants credentials for this
 * environment only, and a token minted for signing (`sigstore`) is never one for deploying.
 */
export function deployAudience(environment: string): string {
  return `sathos-deploy:${environment}`;
}

export const ID_TOKEN_PERMISSION_MESSAGE =
  "keyless signing needs the job's OIDC token, and this job has none: add `permissions: id-token: write` to the job (or use `signing: key`)";

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/** Fails with the missing `permissions:` line before anything is verified or signed. */
export function assertIdTokenAvailable(env: Env): void {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new SathosError('USAGE', ID_TOKEN_PERMISSION_MESSAGE);
  }
}

export interface IdTokenRequest {
  readonly env: Env;
  readonly fetch: Fetch;
  readonly audience?: string;
  readonly timeoutMs?: number;
}

function tokenFrom(text: string, where: string): string {
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown } | null)?.value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value.split('.').length !== 3) {
    throw new SathosError('USAGE', "the runner's OIDC endpoint did not answer with a token", {
      where,
    });
  }
  return value;
}

/** Requests an identity token for the audience (default `sigstore`). */
export async function requestIdToken(request: IdTokenRequest): Promise<string> {
  assertIdTokenAvailable(request.env);
  const url = new URL(request.env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '');
  url.searchParams.set('audience', request.audience ?? SIGSTORE_AUDIENCE);
  const where = `${url.origin}${url.pathname}`;
  let response: Response;
  try {
    response = await request.fetch(url, {
      headers: {
        authorization: `Bearer ${request.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? ''}`,
        accept: 'application/json',
      },
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
    });
  } catch (cause) {
    throw new SathosError(
      'USAGE',
      `cannot reach the runner's OIDC endpoint (${describeCause(cause)})`,
      { where, cause },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SathosError(
      'USAGE',
      `the runner's OIDC endpoint answered ${response.status}; check \`permissions: id-token: write\``,
      { where },
    );
  }
  if (text.length > MAX_TOKEN_RESPONSE_BYTES) {
    throw new SathosError('TOO_LARGE', 'the OIDC endpoint answer is too large to be a token', {
      where,
    });
  }
  return tokenFrom(text, where);
}

/** The claims of a JWT, unverified: for naming the identity we expect Fulcio to certify, never for trust. */
export function unverifiedClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims === 'object' && claims !== null && !Array.isArray(claims)) {
      return claims as Record<string, unknown>;
    }
  } catch {
    // fall through
  }
  throw new SathosError('USAGE', "the OIDC token's payload is not a JSON object");
}
