// Requests to one repository of one registry: anonymous first, then whatever the 401 challenge asks
// (auth.ts), with a token per access level (pull, or pull+push) kept for the client's life. GET and
// HEAD follow at most a few redirects (registries send blob reads to storage), dropping the
// credentials when the origin changes and refusing plain http to anything but loopback. Every
// answer is read with a byte bound.
import { SathosError, describeCause, readBoundedBody, type ErrorCode } from '@sathos/core';
import {
  basicAuthorization,
  fetchBearerToken,
  parseChallenge,
  type RegistryCredentials,
} from './auth.js';
import { isLoopbackHost, type ImageReference } from './reference.js';

export interface TransportOptions {
  readonly fetch?: typeof fetch;
  /** For registries that require them; sent only as the registry's challenge asks. */
  readonly credentials?: RegistryCredentials;
  /** Per-request timeout in milliseconds (default 30 000). */
  readonly timeoutMs?: number;
}

export type Access = 'pull' | 'push';

export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST';
  /** A path (`/v2/…`) on the registry, or an absolute URL the registry gave (an upload location). */
  readonly target: string;
  readonly access: Access;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Largest body read; a larger one is refused. */
  readonly maxBytes: number;
}

export interface RegistryAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  /** The URL that answered (after redirects). */
  readonly url: string;
}

const MAX_REDIRECTS = 3;

export class RegistryTransport {
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly authorizations = new Map<Access, string>();

  constructor(
    readonly image: ImageReference,
    /** The code of every failure (STORE_FAILED when writing, USAGE when reading). */
    readonly code: ErrorCode,
    private readonly options: TransportOptions = {},
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  fail(message: string, where?: string, cause?: unknown): SathosError {
    return new SathosError(this.code, `registry ${this.image.registry}: ${message}`, {
      ...(where === undefined ? {} : { where }),
      cause,
    });
  }

  /** Sends the request, answering one 401 challenge; the caller judges the status. */
  async send(request: RegistryRequest): Promise<RegistryAnswer> {
    const first = await this.follow(request, this.authorizations.get(request.access));
    if (first.status !== 401) return first;
    const challenge = parseChallenge(first.headers.get('www-authenticate'));
    if (challenge === undefined)
      throw this.fail('answered 401 without a usable challenge', first.url);
    const credentials = this.options.credentials;
    let authorization: string;
    if (challenge.scheme === 'basic') {
      if (credentials === undefined)
        throw this.fail('requires credentials (Basic); pass a username and password');
      authorization = basicAuthorization(credentials);
    } else {
      const actions = request.access === 'push' ? 'pull,push' : 'pull';
      const token = await fetchBearerToken({
        challenge,
        scope: `repository:${this.image.repository}:${actions}`,
        registry: this.image.registry,
        credentials,
        fetch: this.fetch,
        timeoutMs: this.timeoutMs,
      });
      authorization = `Bearer ${token}`;
    }
    this.authorizations.set(request.access, authorization);
    const second = await this.follow(request, authorization);
    if (second.status === 401 || second.status === 403) {
      throw this.fail(
        `refused the ${credentials === undefined ? 'anonymous ' : ''}${request.access} request (${second.status}); check the registry credentials and their ${request.access} permission`,
        second.url,
      );
    }
    return second;
  }

  private resolve(target: string, base: string): URL {
    const url = new URL(target, base);
    const local = isLoopbackHost(url.host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
      throw this.fail(`sent us to '${url.origin}', which is neither https nor loopback; refused`);
    }
    return url;
  }

  private async follow(request: RegistryRequest, authorization: string | undefined) {
    const origin = new URL(this.image.baseUrl).origin;
    let url = this.resolve(request.target, this.image.baseUrl);
    for (let hop = 0; ; hop += 1) {
      const sameOrigin = url.origin === origin;
      const answer = await this.once(request, url, sameOrigin ? authorization : undefined);
      const location = answer.headers.get('location');
      const redirect = [301, 302, 303, 307, 308].includes(answer.status) && location !== null;
      if (!redirect || request.method === 'PUT' || request.method === 'POST') return answer;
      if (hop >= MAX_REDIRECTS)
        throw this.fail(`redirected more than ${MAX_REDIRECTS} times`, url.href);
      url = this.resolve(location, url.href);
    }
  }

  private async once(request: RegistryRequest, url: URL, authorization: string | undefined) {
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: request.method,
        headers: {
          'user-agent': 'sathos',
          ...request.headers,
          ...(authorization === undefined ? {} : { authorization }),
        },
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw this.fail(`could not be reached (${describeCause(cause)})`, url.origin, cause);
    }
    const body =
      request.method === 'HEAD'
        ? Buffer.alloc(0)
        : await readBoundedBody(response, request.maxBytes).catch((cause: unknown) => {
            throw this.fail(`the answer broke off (${describeCause(cause)})`, url.href, cause);
          });
    if (body === undefined) {
      throw new SathosError(
        'TOO_LARGE',
        `registry ${this.image.registry} answered more than ${request.maxBytes} bytes`,
        {
          where: url.href,
        },
      );
    }
    return { status: response.status, headers: response.headers, body, url: url.href };
  }
}
