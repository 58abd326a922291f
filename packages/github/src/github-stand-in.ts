// Test infrastructure: a loopback stand-in for the GitHub REST API (pull request commits, contents,
// the attestations API with programmable failures) and the runner's OIDC token endpoint. Never imported by shipped code (package subpath `./testing`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AttestationsStandIn,
  type CannedAnswer,
  type StandInAnswer,
  type StoredAttestation,
} from './attestations/stand-in.js';

export type { CannedAnswer, StoredAttestation };

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
  /** A run's review history (`GET …/actions/runs/{id}/approvals`), keyed `owner/name#runId`. */
  readonly runApprovals?: Readonly<Record<string, readonly unknown[]>>;
  /** A pull request's reviews, oldest first (`GET …/pulls/{n}/reviews`), keyed `owner/name#number`. */
  readonly pullReviews?: Readonly<Record<string, readonly unknown[]>>;
  /** Tokens GitHub knows but that lack `attestations: write` (an upload answers 403). */
  readonly readOnlyTokens?: readonly string[];
}

/** One request as the stand-in received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

export interface GitHubStandIn {
  /** `http://127.0.0.1:<port>`: GITHUB_API_URL. */
  readonly apiUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL (already carries a query, as the runner's does). */
  readonly idTokenRequestUrl: string;
  /** Every request path and query, in order. */
  readonly requests: string[];
  /** Every request with its method, authorization and body, in order. */
  readonly calls: RecordedRequest[];
  /** Attestations uploaded, in order. */
  readonly attestations: readonly StoredAttestation[];
  /** Queues answers for the next requests to the attestations endpoints (e.g. two 502s). */
  failNext(...answers: CannedAnswer[]): void;
  close(): Promise<void>;
}

/** A raw file body, as the contents API sends for `accept: application/vnd.github.raw`. */
class Raw {
  constructor(readonly text: string) {}
}

function send(response: ServerResponse, answer: StandInAnswer): void {
  const { status, body } = answer;
  const raw = body instanceof Raw || answer.raw === true;
  const text =
    body instanceof Raw ? body.text : answer.raw === true ? String(body) : JSON.stringify(body);
  response.writeHead(status, {
    ...answer.headers,
    'content-type': raw ? 'application/vnd.github.raw' : 'application/json',
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

/** Environment reviews of a run, and pull-request reviews paged as GitHub pages them. */
function reviews(
  options: GitHubStandInOptions,
  url: URL,
): { status: number; body: unknown } | undefined {
  const run = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/approvals$/.exec(url.pathname);
  if (run !== null) {
    const history = options.runApprovals?.[`${run[1] ?? ''}#${run[2] ?? ''}`];
    return history === undefined
      ? { status: 404, body: { message: 'Not Found' } }
      : { status: 200, body: history };
  }
  const pull = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)\/reviews$/.exec(url.pathname);
  if (pull === null) return undefined;
  const all = options.pullReviews?.[`${pull[1] ?? ''}#${pull[2] ?? ''}`];
  if (all === undefined) return { status: 404, body: { message: 'Not Found' } };
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
  const page = Number(url.searchParams.get('page') ?? '1');
  return { status: 200, body: all.slice((page - 1) * perPage, page * perPage) };
}

function route(
  options: GitHubStandInOptions,
  attestations: AttestationsStandIn,
  request: IncomingMessage,
  body: string,
): StandInAnswer {
  const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'stand-in'}`);
  const auth = request.headers.authorization ?? '';
  const attestation = attestations.handle(request.method ?? 'GET', url, auth, body);
  if (attestation !== undefined) return attestation;
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
  return (
    contents(options, url) ??
    commitOfRef(options, url) ??
    reviews(options, url) ??
    pullCommits(options, url)
  );
}

/** Starts the stand-in on 127.0.0.1 (an ephemeral port). Call close() when done. */
export async function startGitHubStandIn(options: GitHubStandInOptions): Promise<GitHubStandIn> {
  const requests: string[] = [];
  const calls: RecordedRequest[] = [];
  const attestations = new AttestationsStandIn(options.apiToken, options.readOnlyTokens ?? []);
  const server = createServer((request, response) => {
    requests.push(request.url ?? '/');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      calls.push({
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        authorization: request.headers.authorization,
        body,
      });
      send(response, route(options, attestations, request, body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    apiUrl: base,
    idTokenRequestUrl: `${base}/oidc/token?api-version=2.0`,
    requests,
    calls,
    attestations: attestations.stored,
    failNext: (...answers) => {
      attestations.canned.push(...answers);
    },
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
