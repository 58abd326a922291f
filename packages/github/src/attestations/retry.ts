// When to ask GitHub again, and how long to wait first. GitHub answers a busy or limited client with
// 5xx, 429, or a 403 that is a secondary rate limit (not a permission error); it may say how long to
// wait (Retry-After, or x-ratelimit-reset with nothing remaining). Waits grow exponentially with
// full jitter and the whole run has a wait budget, so a limited API fails in bounded time with a
// clear line instead of hanging a job.
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
  /** First backoff in milliseconds, doubled each retry (default 1 000). */
  readonly baseDelayMs?: number;
  /** Sum of every wait allowed, in milliseconds (default 60 000). */
  readonly maxTotalWaitMs?: number;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1); default Math.random (jitter only: never a security decision). */
  readonly random?: () => number;
  /** Milliseconds since the epoch; default Date.now (for x-ratelimit-reset). */
  readonly now?: () => number;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxTotalWaitMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, Math.floor(options.attempts ?? 5)),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? 1_000),
    maxTotalWaitMs: Math.max(0, options.maxTotalWaitMs ?? 60_000),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
}

/** What GitHub said, as far as retrying is concerned. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The error body's `message`, when there was one. */
  readonly message: string;
}

/** A 403 that is a (secondary) rate limit rather than a refused permission. */
export function isRateLimited403(answer: Answer): boolean {
  if (answer.status !== 403) return false;
  return (
    answer.headers.get('retry-after') !== null ||
    answer.headers.get('x-ratelimit-remaining') === '0' ||
    /rate limit/i.test(answer.message)
  );
}

/** 5xx, 429 and rate-limit 403s are worth asking again; other 4xx never are. */
export function isRetryable(answer: Answer): boolean {
  return answer.status >= 500 || answer.status === 429 || isRateLimited403(answer);
}

/** Milliseconds the server asked for (Retry-After seconds or date, or x-ratelimit-reset), if any. */
export function requestedWaitMs(answer: Answer, now: number): number | undefined {
  const retryAfter = answer.headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter.trim());
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1_000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (answer.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(answer.headers.get('x-ratelimit-reset') ?? 'NaN');
    if (Number.isFinite(reset)) return Math.max(0, reset * 1_000 - now);
  }
  return undefined;
}

/** Exponential backoff with full jitter for retry number `retry` (1 for the first retry). */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const ceiling = policy.baseDelayMs * 2 ** (retry - 1);
  return Math.floor(policy.random() * ceiling);
}
