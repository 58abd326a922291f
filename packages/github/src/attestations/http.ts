// One request to the attestations API, asked again while GitHub says it is busy or limited (see
// retry.ts), read with a byte bound, and every failure turned into one line that says what to do.
import { SathosError, describeCause, readBoundedBody, type ErrorCode } from '@sathos/core';
import type { Fetch } from '../rest.js';
import {
  isRateLimited403,
  isRetryable,
  requestedWaitMs,
  backoffMs,
  retryPolicy,
  type Answer,
  type RetryOptions,
} from './retry.js';

export interface AttestationsApi {
  /** e.g. `https://api.github.com`, from GITHUB_API_URL. */
  readonly apiUrl: string;
  readonly fetch: Fetch;
  /** Per-request timeout in milliseconds (default 30 000). */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
}

/** What the request is for, so an error line can say which permission or token is missing. */
export interface Purpose {
  /** e.g. `uploading an attestation to octo-org/octo-repo`. */
  readonly action: string;
  /** e.g. `attestations: write`. */
  readonly permission: string;
  /** The error code of a failure. */
  readonly code: ErrorCode;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** `owner/name`, checked before it goes into a URL path. */
export function checkRepository(repository: string): string {
  const name = repository.split('/')[1] ?? '';
  if (!REPOSITORY.test(repository) || name === '.' || name === '..') {
    throw new SathosError(
      'USAGE',
      `repository must be owner/name (letters, digits, '-', '.', '_'), got '${repository.slice(0, 200)}'`,
    );
  }
  return repository;
}

export function apiBase(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch (cause) {
    throw new SathosError('USAGE', `the GitHub API URL '${apiUrl}' is not a URL`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SathosError('USAGE', `the GitHub API URL must be http(s), got '${url.protocol}'`);
  }
  return url.href.replace(/\/+$/, '');
}

function messageOf(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message.slice(0, 200) : '';
  } catch {
    return '';
  }
}

function refusal(purpose: Purpose, answer: Answer, where: string): SathosError {
  const said = answer.message === '' ? '' : ` (${answer.message})`;
  const hint =
    answer.status === 401
      ? 'the token was refused: pass a valid github-token'
      : [403, 404].includes(answer.status)
        ? `grant the job \`permissions: ${purpose.permission}\` and pass a token that has it (github-token)`
        : 'GitHub refused the request as sent';
  return new SathosError(
    purpose.code,
    `the GitHub API answered ${answer.status}${said} ${purpose.action}; ${hint}`,
    { where },
  );
}

async function once(api: AttestationsApi, url: string, init: RequestInit, max: number) {
  let response: Response;
  try {
    response = await api.fetch(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(api.timeoutMs ?? 30_000),
    });
  } catch (cause) {
    return { error: cause };
  }
  let body: Buffer | undefined;
  try {
    body = await readBoundedBody(response, max);
  } catch (cause) {
    return { error: cause };
  }
  if (body === undefined) {
    throw new SathosError('TOO_LARGE', `the GitHub API answer is larger than ${max} bytes`, {
      where: url,
    });
  }
  return {
    reply: { status: response.status, headers: response.headers, text: body.toString('utf8') },
  };
}

/**
 * Sends the request until GitHub answers 2xx, a refusal that asking again cannot change, or the
 * attempts or the wait budget run out. Network failures are retried like a 5xx.
 */
export async function sendWithRetry(
  api: AttestationsApi,
  url: string,
  init: RequestInit,
  purpose: Purpose,
  maxBytes: number,
  /** Statuses handed back to the caller rather than refused (e.g. 404 for "none stored"). */
  passThrough: readonly number[] = [],
): Promise<Reply> {
  const policy = retryPolicy(api.retry);
  let waited = 0;
  for (let attempt = 1; ; attempt += 1) {
    const { reply, error } = await once(api, url, init, maxBytes);
    if (reply !== undefined && reply.status >= 200 && reply.status < 300) return reply;
    if (reply !== undefined && passThrough.includes(reply.status)) return reply;
    const answer = reply === undefined ? undefined : { ...reply, message: messageOf(reply.text) };
    if (answer !== undefined && !isRetryable(answer)) throw refusal(purpose, answer, url);
    const what =
      answer === undefined
        ? `could not be reached (${describeCause(error)})`
        : `answered ${answer.status}${isRateLimited403(answer) ? ' (rate limited)' : ''}`;
    if (attempt >= policy.attempts) {
      throw new SathosError(
        purpose.code,
        `the GitHub API ${what} ${purpose.action}, still after ${attempt} attempts; retry the job later`,
        { where: url, cause: error },
      );
    }
    const asked = answer === undefined ? undefined : requestedWaitMs(answer, policy.now());
    const wait = asked ?? backoffMs(policy, attempt);
    if (waited + wait > policy.maxTotalWaitMs) {
      throw new SathosError(
        purpose.code,
        `the GitHub API ${what} ${purpose.action} and asks to wait ${Math.ceil(wait / 1000)} s, beyond the ${Math.ceil(policy.maxTotalWaitMs / 1000)} s retry budget; retry the job later`,
        { where: url, cause: error },
      );
    }
    await policy.sleep(wait);
    waited += wait;
  }
}

/** The reply's body as JSON, or a clear error. */
export function jsonOf(reply: Reply, purpose: Purpose, where: string): unknown {
  try {
    return JSON.parse(reply.text);
  } catch (cause) {
    throw new SathosError(
      purpose.code,
      `the GitHub API answered with something that is not JSON ${purpose.action}`,
      { where, cause },
    );
  }
}

export function githubHeaders(token: string | undefined): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'sathos',
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
}
