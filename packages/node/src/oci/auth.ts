// The distribution spec's authentication: a registry answers 401 with a WWW-Authenticate challenge —
// `Basic realm=…` (send the credentials) or `Bearer realm=…,service=…,scope=…` (ask the realm for a
// token, with the credentials if any, then send the token). The realm must be https, or a loopback
// http URL, so credentials never travel unencrypted.
// https://distribution.github.io/distribution/spec/auth/token/
import { SathosError, readBoundedBody } from '@sathos/core';
import { isLoopbackHost } from './reference.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

const MAX_TOKEN_ANSWER = 64 * 1024;

/** The first Basic or Bearer challenge of a WWW-Authenticate header, if any. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  const match = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  const pair = /\s*([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/gy;
  const rest = match[2] ?? '';
  pair.lastIndex = 0;
  for (let found = pair.exec(rest); found !== null; found = pair.exec(rest)) {
    params[(found[1] ?? '').toLowerCase()] = (found[2] ?? found[3] ?? '').replace(/\\(.)/g, '$1');
    if (pair.lastIndex >= rest.length) break;
  }
  return { scheme: (match[1] ?? '').toLowerCase() as Challenge['scheme'], params };
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function realmUrl(realm: string | undefined, registry: string): URL {
  let url: URL;
  try {
    url = new URL(realm ?? '');
  } catch (cause) {
    throw new SathosError('USAGE', `registry ${registry} named no usable token realm`, { cause });
  }
  const loopback = isLoopbackHost(url.host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SathosError(
      'USAGE',
      `registry ${registry} asks for a token from '${url.origin}', which is neither https nor loopback; refused`,
    );
  }
  return url;
}

export interface TokenRequest {
  readonly challenge: Challenge;
  readonly scope: string;
  readonly registry: string;
  readonly credentials: RegistryCredentials | undefined;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

/** Asks the challenge's realm for a bearer token for `scope`. */
export async function fetchBearerToken(request: TokenRequest): Promise<string> {
  const url = realmUrl(request.challenge.params.realm, request.registry);
  const service = request.challenge.params.service;
  if (service !== undefined) url.searchParams.set('service', service);
  url.searchParams.set('scope', request.scope);
  let response: Response;
  try {
    response = await request.fetch(url, {
      headers:
        request.credentials === undefined
          ? {}
          : { authorization: basicAuthorization(request.credentials) },
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (cause) {
    throw new SathosError(
      'USAGE',
      `the token service of registry ${request.registry} could not be reached`,
      {
        where: url.origin,
        cause,
      },
    );
  }
  const body = await readBoundedBody(response, MAX_TOKEN_ANSWER);
  if (!response.ok) {
    throw new SathosError(
      'USAGE',
      `the token service of registry ${request.registry} answered ${response.status}; check the registry credentials`,
      { where: url.origin },
    );
  }
  let token: unknown;
  try {
    const json = JSON.parse(body?.toString('utf8') ?? '') as {
      token?: unknown;
      access_token?: unknown;
    };
    token = json.token ?? json.access_token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '' || /[\r\n]/.test(token)) {
    throw new SathosError(
      'USAGE',
      `the token service of registry ${request.registry} answered no token`,
      {
        where: url.origin,
      },
    );
  }
  return token;
}
