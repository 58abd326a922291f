// The witnesses that make a signature outlive its key or certificate: a Rekor transparency-log entry
// and/or an RFC 3161 timestamp. Built from URLs the caller hands us; nothing here has a default URL.
import { RekorWitness, TSAWitness, type Witness } from '@sigstore/sign';
import { SathosError } from '../../errors.js';

/** Rekor v1 entry kinds: `dsse` (0.0.1, payload not published) or `intoto` (0.0.2, sigstore-js "legacy"). */
export type RekorEntryType = 'dsse' | 'intoto';

export interface WitnessOptions {
  /** Rekor v1 base URL, e.g. `https://rekor.example` (the client appends `/api/v1/log/entries`). */
  readonly rekorURL?: string;
  readonly rekorEntryType?: RekorEntryType;
  /** RFC 3161 timestamp authority base URL (the client appends `/api/v1/timestamp`). */
  readonly tsaURL?: string;
}

/** How patient the HTTP clients are with Fulcio, Rekor and the TSA. */
export interface NetworkOptions {
  /** Per-request timeout in milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Retries after a failed or 5xx/408/429 response (default 2). */
  readonly retries?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRIES = 2;

/** The fetch options @sigstore/sign's clients take. */
export function fetchOptions(options: NetworkOptions): { timeout: number; retry: number } {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retry = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(timeout) || timeout <= 0 || !Number.isInteger(retry) || retry < 0) {
    throw new SathosError(
      'USAGE',
      'timeoutMs must be a positive integer and retries a non-negative integer',
    );
  }
  return { timeout, retry };
}

/** Checks that a service URL is an absolute http(s) URL and returns it without a trailing slash. */
export function serviceURL(url: string, name: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    throw new SathosError(
      'USAGE',
      `${name} URL "${url}" is not an http(s) URL; give the service's base URL`,
    );
  }
  return url.replace(/\/+$/, '');
}

/** One witness per URL given; an empty list when none was. */
export function buildWitnesses(options: WitnessOptions, network: NetworkOptions): Witness[] {
  const fetch = fetchOptions(network);
  const witnesses: Witness[] = [];
  if (options.rekorURL !== undefined) {
    witnesses.push(
      new RekorWitness({
        rekorBaseURL: serviceURL(options.rekorURL, 'Rekor'),
        entryType: options.rekorEntryType ?? 'dsse',
        ...fetch,
      }),
    );
  }
  if (options.tsaURL !== undefined) {
    witnesses.push(new TSAWitness({ tsaBaseURL: serviceURL(options.tsaURL, 'TSA'), ...fetch }));
  }
  return witnesses;
}
