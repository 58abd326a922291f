// The stand-in's OIDC issuer: it signs ES256 JWTs with its own key, and its Fulcio accepts only those,
// deriving the certificate's SAN the way Fulcio does for the token's issuer.
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** The issuer GitHub Actions tokens carry; the stand-in's default issuer. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** Claims for issueToken: `sub` is required; `iss` defaults to GitHub Actions' issuer, `aud` to `sigstore`. */
export interface TokenClaims {
  readonly sub: string;
  readonly iss?: string;
  readonly aud?: string;
  readonly [claim: string]: unknown;
}

export interface OidcIssuer {
  /** Signs the claims (plus iat/nbf/exp, valid for `lifetimeSeconds`, default 300) into a compact JWT. */
  issueToken(claims: TokenClaims, lifetimeSeconds?: number): string;
  /** The token's claims when its signature, audience and lifetime check out; otherwise a reason. */
  check(token: string): { claims: Record<string, unknown> } | { reason: string };
}

const base64url = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

function decodePart(part: string | undefined): unknown {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkClaims(claims: Record<string, unknown>, nowSeconds: number): string | undefined {
  if (claims.aud !== 'sigstore') return 'audience is not sigstore';
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return 'token expired';
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + 60) return 'token not yet valid';
  if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string')
    return 'iss and sub are required';
  return undefined;
}

function checkToken(
  token: string,
  publicKey: KeyObject,
): { claims: Record<string, unknown> } | { reason: string } {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) {
    return { reason: 'not a compact JWT' };
  }
  const headerJSON = decodePart(header);
  if (!isRecord(headerJSON) || headerJSON.alg !== 'ES256') return { reason: 'alg must be ES256' };
  const signed = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');
  if (!verify('sha256', signed, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)) {
    return { reason: 'signature is not from the stand-in issuer' };
  }
  const claims = decodePart(payload);
  if (!isRecord(claims)) return { reason: 'payload is not a JSON object' };
  const problem = checkClaims(claims, Math.floor(Date.now() / 1000));
  return problem === undefined ? { claims } : { reason: problem };
}

/** A new issuer with its own P-256 key. */
export function createOidcIssuer(): OidcIssuer {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = createPublicKey(privateKey);
  return {
    issueToken(claims, lifetimeSeconds = 300) {
      const now = Math.floor(Date.now() / 1000);
      const body = {
        iss: GITHUB_ACTIONS_ISSUER,
        aud: 'sigstore',
        iat: now,
        nbf: now,
        exp: now + lifetimeSeconds,
        ...claims,
      };
      const signingInput = `${base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }))}.${base64url(JSON.stringify(body))}`;
      const signature = sign('sha256', Buffer.from(signingInput), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return `${signingInput}.${base64url(signature)}`;
    },
    check: (token) => checkToken(token, publicKey),
  };
}

/**
 * The subject alternative name Fulcio puts in the certificate for these claims: the workflow URI for
 * GitHub Actions tokens, the email for tokens with a verified email, otherwise `sub`.
 */
export function subjectAlternativeName(claims: Record<string, unknown>): string | undefined {
  if (claims.iss === GITHUB_ACTIONS_ISSUER && typeof claims.job_workflow_ref === 'string') {
    return `https://github.com/${claims.job_workflow_ref}`;
  }
  if (typeof claims.email === 'string')
    return claims.email_verified === true ? claims.email : undefined;
  return typeof claims.sub === 'string' ? claims.sub : undefined;
}
