// Loopback stand-ins for Fulcio (/api/v2/signingCert), Rekor v1 (/api/v1/log/entries) and an RFC 3161
// timestamp authority (/api/v1/timestamp, JSON requests), built on @sigstore/mock's CA, logs and TSA.
import { generateKeyPairSync } from 'node:crypto';
import { fulcioHandler, initializeCA, initializeCTLog } from '@sigstore/mock/dist/fulcio/index.js';
import { initializeTLog, rekorHandler } from '@sigstore/mock/dist/rekor/index.js';
import { initializeTSA, tsaHandler } from '@sigstore/mock/dist/timestamp/index.js';
import {
  startLoopbackServer,
  type HandlerResult,
  type LoopbackServer,
  type Route,
} from './stand-in-http.js';
import {
  createOidcIssuer,
  subjectAlternativeName,
  type OidcIssuer,
  type TokenClaims,
} from './stand-in-oidc.js';
import { canonicalRekorEntry } from './stand-in-rekor.js';
import { standInTrustedRoot, type TrustedRootJSON } from './stand-in-trusted-root.js';

export interface SigstoreStandIn {
  readonly fulcioURL: string;
  readonly rekorURL: string;
  readonly tsaURL: string;
  /** A trusted_root.json object for exactly these stand-ins. */
  readonly trustedRoot: TrustedRootJSON;
  /** An ES256 JWT from the stand-in's OIDC issuer; its Fulcio accepts no other tokens. */
  issueToken(claims: TokenClaims, lifetimeSeconds?: number): string;
  /** How many requests each service answered (to assert a witness was or was not asked). */
  readonly requests: { readonly fulcio: number; readonly rekor: number; readonly tsa: number };
  close(): Promise<void>;
}

/** The private claim through which the stand-in hands its derived SAN to the mock CA. */
const SAN_CLAIM = 'stand_in_subject_alternative_name';

const newKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

const unauthorized = (message: string): HandlerResult => ({
  statusCode: 401,
  response: JSON.stringify({ code: 401, message }),
  contentType: 'application/json',
});

interface SigningCertRequest {
  credentials?: { oidcIdentityToken?: unknown };
}

/** Checks the token as Fulcio would, then gives the mock a body whose token carries the derived SAN. */
function authenticated(issuer: OidcIssuer, route: Route): Route {
  return {
    path: route.path,
    fn: async (body) => {
      const request = JSON.parse(body) as SigningCertRequest;
      const token = request.credentials?.oidcIdentityToken;
      if (typeof token !== 'string') return unauthorized('no oidcIdentityToken');
      const checked = issuer.check(token);
      if ('reason' in checked) return unauthorized(`invalid identity token: ${checked.reason}`);
      const san = subjectAlternativeName(checked.claims);
      if (san === undefined)
        return unauthorized('no subject for a certificate (unverified email?)');
      const [header = '', , signature = ''] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ ...checked.claims, [SAN_CLAIM]: san })).toString(
        'base64url',
      );
      const rewritten = {
        ...request,
        credentials: { oidcIdentityToken: `${header}.${payload}.${signature}` },
      };
      return route.fn(JSON.stringify(rewritten));
    },
  };
}

function canonicalising(route: Route): Route {
  return {
    path: route.path,
    fn: (body) => route.fn(JSON.stringify(canonicalRekorEntry(JSON.parse(body)))),
  };
}

function counted(route: Route, count: () => void): Route {
  return {
    path: route.path,
    fn: (body) => {
      count();
      return route.fn(body);
    },
  };
}

async function startServers(): Promise<{ servers: LoopbackServer[]; routes: Route[][] }> {
  const routes: Route[][] = [[], [], []];
  const servers = await Promise.all(routes.map((list) => startLoopbackServer(() => list)));
  return { servers, routes };
}

/** Starts the three services on 127.0.0.1 (ephemeral ports). Call close() when done. */
/**
 * The mock TSA stamps `new Date()`; asn1js then writes milliseconds without trailing zeros (".12Z"),
 * which @sigstore/core's parser rejects as an invalid time one run in ten. Real TSAs stamp whole
 * seconds or three digits, so the stand-in stamps whole seconds (never before the certificate's
 * notBefore, which X.509 also truncates to the second).
 */
function wholeSecondClock(authority: object): void {
  Object.defineProperty(authority, 'getCurrentTime', {
    value: () => new Date(Math.floor(Date.now() / 1000) * 1000),
  });
}

export async function startSigstoreStandIn(): Promise<SigstoreStandIn> {
  const since = new Date(Date.now() - 60_000);
  const { servers, routes } = await startServers();
  const [fulcio, rekor, tsa] = servers as [LoopbackServer, LoopbackServer, LoopbackServer];
  const issuer = createOidcIssuer();
  const ctlog = await initializeCTLog(newKeyPair());
  const ca = await initializeCA(newKeyPair(), ctlog);
  const tlog = await initializeTLog(rekor.url, newKeyPair());
  const authority = await initializeTSA(newKeyPair());
  wholeSecondClock(authority);
  const requests = { fulcio: 0, rekor: 0, tsa: 0 };
  routes[0]?.push(
    counted(
      authenticated(issuer, fulcioHandler(ca, { subjectClaim: SAN_CLAIM })),
      () => requests.fulcio++,
    ),
  );
  routes[1]?.push(counted(canonicalising(rekorHandler(tlog)), () => requests.rekor++));
  routes[2]?.push(counted(tsaHandler(authority), () => requests.tsa++));
  return {
    fulcioURL: fulcio.url,
    rekorURL: rekor.url,
    tsaURL: tsa.url,
    trustedRoot: standInTrustedRoot({
      fulcioURL: fulcio.url,
      rekorURL: rekor.url,
      tsaURL: tsa.url,
      caRoot: ca.rootCertificate,
      tsaChain: [authority.intCertificate, authority.rootCertificate],
      rekorKey: tlog.publicKey,
      ctlogKey: ctlog.publicKey,
      since,
    }),
    issueToken: (claims, lifetimeSeconds) => issuer.issueToken(claims, lifetimeSeconds),
    requests,
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
