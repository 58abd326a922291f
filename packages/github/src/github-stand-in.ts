// Test infrastructure: a loopback stand-in for the GitHub REST API (pull request commits) and the
// runner's OIDC token endpoint. Never imported by shipped code (package subpath `./testing`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubStandInOptions {
  /** The token the REST API accepts (`Authorization: Bearer …`). */
  readonly apiToken: string;
  /** Commits per `owner/name#number`, oldest first. */
  readonly pullRequests?: Readonly<Record<string, readonly string[]>>;
  /** Repository files served raw by the contents API, keyed `owner/name/path@ref`. */
  readonly files?: Readonly<Record<string, string>>;
  /** The commit each ref names (`GET /repos/{owner}/{name}/commits/{ref}`), keyed `owner/name@ref`; read per request. */
  readonly commits?: Readonly<Record<string, string>>;
  /** The bearer token the OIDC endpoint accepts (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
  readonly idTokenRequestToken?: string;
  /** Mints the identity token for an audience. */
  readonly issueIdToken?: (audience: string) => string;
}

export interface GitHubStandIn {
  /** `http://127.0.0.1:<port>`: GITHUB_API_URL. */
  readonly apiUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL (already carries a query, as the runner's does). */
  readonly idTokenRequestUrl: string;
  /** Every request path and query, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A raw file body, as the contents API sends for `accept: application/vnd.github.raw`. */
class Raw {
  constructor(readonly text: string) {}
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = body instanceof Raw ? body.text : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': body instanceof Raw ? 'application/vnd.github.raw' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function contents(
  options: GitHubStandInOptions,
  url: URL,
): { status: number; body: unknown } | undefined {
  const match = /^\/repos\/([^/]+\/[^/]+)\/contents\/(.+)$/.exec(url.pathname);
  if (match === null) return undefined;
  const key = `${match[1] ?? ''}/${decodeURIComponent(match[2] ?? '')}@${url.searchParams.get('ref') ?? ''}`;
  const file = options.files?.[key];
  return file === undefined
    ? { status: 404, body: { message: 'Not Found' } }
    : { status: 200, body: new Raw(file) };
}

function commitOfRef(
  options: GitHubStandInOptions,
  url: URL,
): { status: number; body: unknown } | undefined {
  const match = /^\/repos\/([^/]+\/[^/]+)\/commits\/([^/]+)$/.exec(url.pathname);
  if (match === null) return undefined;
  const sha = options.commits?.[`${match[1] ?? ''}@${decodeURIComponent(match[2] ?? '')}`];
  return sha === undefined
    ? { status: 422, body: { message: 'No commit found for SHA' } }
    : { status: 200, body: { sha, commit: { message: 'stand-in' } } };
}

function pullCommits(options: GitHubStandInOptions, url: URL): { status: number; body: unknown } {
  const match = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)\/commits$/.exec(url.pathname);
  const commits =
    match === null ? undefined : options.pullRequests?.[`${match[1] ?? ''}#${match[2] ?? ''}`];
  if (commits === undefined) return { status: 404, body: { message: 'Not Found' } };
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
  const page = Number(url.searchParams.get('page') ?? '1');
  const slice = commits.slice(0, 250).slice((page - 1) * perPage, page * perPage);
  return { status: 200, body: slice.map((sha) => ({ sha, commit: { message: 'stand-in' } })) };
}

function route(
  options: GitHubStandInOptions,
  request: IncomingMessage,
): { status: number; body: unknown } {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const auth = request.headers.authorization ?? '';
  if (request.method !== 'GET') return { status: 405, body: { message: 'GET only' } };
  if (url.pathname === '/oidc/token') {
    if (
      options.issueIdToken === undefined ||
      auth !== `Bearer ${options.idTokenRequestToken ?? ''}`
    ) {
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    return {
      status: 200,
      body: { value: options.issueIdToken(url.searchParams.get('audience') ?? '') },
    };
  }
  if (auth !== `Bearer ${options.apiToken}`)
    return { status: 401, body: { message: 'Bad credentials' } };
  return contents(options, url) ?? commitOfRef(options, url) ?? pullCommits(options, url);
}

/** Starts the stand-in on 127.0.0.1 (an ephemeral port). Call close() when done. */
export async function startGitHubStandIn(options: GitHubStandInOptions): Promise<GitHubStandIn> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '/');
    const { status, body } = route(options, request);
    send(response, status, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    apiUrl: base,
    idTokenRequestUrl: `${base}/oidc/token?api-version=2.0`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}
