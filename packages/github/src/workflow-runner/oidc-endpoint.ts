// The runner's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL): one bearer token per job, handed
// only to jobs whose permissions grant `id-token: write`; each answers with a token whose claims
// name that job's workflow (job_workflow_ref) and environment, for the audience asked. The issuer
// that signs them is injected (a local issuer in tests and the demo). Every request is logged, so a
// test can prove that a job never asked for a token.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Claims GitHub puts in a job's token (aud is added per request). */
export type JobClaims = Readonly<Record<string, string>>;

/** Signs claims into a compact JWT. */
export type IssueToken = (claims: Readonly<Record<string, unknown>>) => string;

export interface TokenRequest {
  /** The job, `caller-job/called-job` for a job of a called workflow. */
  readonly job: string;
  readonly audience: string;
}

export interface OidcEndpoint {
  /** A request URL and bearer token for this job's claims. */
  grant(job: string, claims: JobClaims): { url: string; token: string };
  /** Every token answered, in order. */
  readonly requests: readonly TokenRequest[];
  close(): Promise<void>;
}

const MAX_AUDIENCE = 512;

export async function startOidcEndpoint(issue: IssueToken): Promise<OidcEndpoint> {
  const grants = new Map<string, { job: string; claims: JobClaims }>();
  const requests: TokenRequest[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://runner');
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const grant = bearer === undefined ? undefined : grants.get(bearer);
    const audience = url.searchParams.get('audience') ?? '';
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || url.pathname !== '/token') {
      reply(404, { message: 'Not Found' });
      return;
    }
    if (grant === undefined) {
      reply(401, { message: 'Bad credentials' });
      return;
    }
    if (audience === '' || audience.length > MAX_AUDIENCE) {
      reply(400, { message: 'audience is required' });
      return;
    }
    requests.push({ job: grant.job, audience });
    reply(200, { value: issue({ ...grant.claims, aud: audience }) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    grant(job, claims) {
      const token = randomBytes(24).toString('base64url');
      grants.set(token, { job, claims });
      return { url: `http://127.0.0.1:${port}/token?api-version=2.0`, token };
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
