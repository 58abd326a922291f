// What @sigstore/sign's HTTP requests go through in a bundle: Node's own fetch, in place of
// make-fetch-happen (about 230 kB with its socks and proxy agents, HTTP cache and retry layers, none
// of which Sigstore's use needs: @sigstore/sign retries by itself and sets no cache). bundle-plugins
// swaps it in for imports made by @sigstore/sign alone; running from sources, the real one is used.
//
// The call shape is make-fetch-happen's as @sigstore/sign makes it (external/fetch.js,
// identity/ci.js): fetch(url, { method, headers, body, timeout, retry }), whose answer it reads with
// ok, status, statusText, headers.get(), json(), text() and minipass-fetch's buffer(). Three things
// are added for a security tool: redirects are followed only within the request's origin (a Fulcio
// request carries the signer's OIDC token); the body is read to a bound (a Fulcio, Rekor or TSA answer
// is a few kilobytes; a hostile endpoint streaming without end gets an error, not the process's
// memory); and a failed request says which request failed and why (Node's fetch: "fetch failed").
//
// Proxies: Node's fetch honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY when NODE_USE_ENV_PROXY=1 is set
// in the environment the action or CLI starts with (docs/dependencies.md).

/** Redirects followed for one request, each within the request's own origin. */
export const MAX_REDIRECTS = 5;

/** The largest answer read from a Sigstore service: far above any certificate chain or log entry. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** The options @sigstore/sign passes (retry is its own business: it retries around this call). */
export interface SigstoreFetchOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** Milliseconds for the whole exchange, body included; 0 or absent: none. */
  readonly timeout?: number;
  readonly retry?: unknown;
}

/** The answer, as much of minipass-fetch's Response as @sigstore/sign reads. */
export interface SigstoreResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: Headers;
  json(): Promise<unknown>;
  text(): Promise<string>;
  buffer(): Promise<Buffer>;
}

/** An error with make-fetch-happen's shape: a message naming the request, and the cause's code. */
class SigstoreFetchError extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.name = 'SigstoreFetchError';
    this.code = code;
  }
}

function failure(method: string, url: string, error: unknown, timeout: number): SigstoreFetchError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new SigstoreFetchError(
      `${method} ${url} timed out after ${String(timeout)} ms`,
      'ETIMEDOUT',
      error,
    );
  }
  // Node's fetch rejects with TypeError('fetch failed') and the socket's error as its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new SigstoreFetchError(
    `${method} ${url} failed: ${why}`,
    typeof code === 'string' ? code : 'EFETCH',
    error,
  );
}

/** Reads the whole body, refusing one past MAX_RESPONSE_BYTES. */
async function boundedBody(response: Response, method: string, url: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  const tooLarge = (): SigstoreFetchError =>
    new SigstoreFetchError(
      `${method} ${url}: the answer is larger than ${String(MAX_RESPONSE_BYTES)} bytes; refusing it`,
      'E2BIG',
      undefined,
    );
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > MAX_RESPONSE_BYTES) {
        await response.body.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, total);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The request, following redirects by hand and only within its own origin. A Fulcio request's body
 * carries the signer's OIDC token: a redirect to another host, or from https to http, would hand it
 * to whoever the Location names (Node's and make-fetch-happen's 'follow' both would). As fetch does,
 * 303 — and 301 or 302 after a POST — continue as a GET without the body; 307 and 308 resend it.
 */
async function followWithinOrigin(
  url: string,
  method: string,
  options: SigstoreFetchOptions,
  signal: AbortSignal | undefined,
  timeout: number,
): Promise<Response> {
  let target = url;
  let verb = method;
  let body = options.body;
  for (let hops = 0; ; hops++) {
    let response: Response;
    try {
      response = await fetch(target, {
        method: verb,
        redirect: 'manual',
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(body === undefined ? {} : { body }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      throw failure(verb, target, error, timeout);
    }
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || location === null) return response;
    await response.body?.cancel().catch(() => undefined);
    const next = URL.parse(location, target);
    if (next === null) {
      throw new SigstoreFetchError(
        `${method} ${url}: redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a URL`,
        'EREDIRECT',
        undefined,
      );
    }
    if (next.origin !== new URL(target).origin) {
      throw new SigstoreFetchError(
        `${method} ${url}: redirected to another origin (${next.origin}); refusing to send the request there — point SATHOS at the service's own URL`,
        'EREDIRECT',
        undefined,
      );
    }
    if (hops + 1 > MAX_REDIRECTS) {
      throw new SigstoreFetchError(
        `${method} ${url}: more than ${String(MAX_REDIRECTS)} redirects; refusing to follow further`,
        'EREDIRECT',
        undefined,
      );
    }
    if (response.status === 303 || (verb === 'POST' && response.status <= 302)) {
      verb = verb === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    target = next.href;
  }
}

export default async function sigstoreFetch(
  url: string,
  options: SigstoreFetchOptions = {},
): Promise<SigstoreResponse> {
  const method = options.method ?? 'GET';
  const timeout = options.timeout ?? 0;
  // One deadline for the whole exchange, redirects and body included.
  const signal = timeout > 0 ? AbortSignal.timeout(timeout) : undefined;
  const response = await followWithinOrigin(url, method, options, signal, timeout);
  let body: Promise<Buffer> | undefined;
  // Read once, on first use, by whichever reader asks; every reader sees the same bytes.
  const read = (): Promise<Buffer> =>
    (body ??= boundedBody(response, method, url).catch((error: unknown) => {
      throw error instanceof SigstoreFetchError ? error : failure(method, url, error, timeout);
    }));
  return {
    ok: response.ok,
    status: response.status,
    statusText: response.statusText,
    url: response.url,
    headers: response.headers,
    json: async () => JSON.parse((await read()).toString('utf8')) as unknown,
    text: async () => (await read()).toString('utf8'),
    buffer: read,
  };
}
