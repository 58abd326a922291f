// Reading back the bundles GitHub stores for an artifact digest:
// `GET /repos/{owner}/{repo}/attestations/{subject_digest}`, paged by an `after` cursor that the
// Link header's next URL carries. The cursor is taken out of that URL and put into a URL built from
// the configured API base, so a Link header can never send the token to another host. Count and
// bytes are bounded across pages: a digest with more attestations than the bound is refused, not
// read in part. Only listed, never trusted: each bundle must still be verified.
// https://docs.github.com/en/rest/repos/attestations#list-attestations
import { SathosError } from '@sathos/core';
import {
  apiBase,
  checkRepository,
  githubHeaders,
  jsonOf,
  sendWithRetry,
  type AttestationsApi,
  type Purpose,
} from './http.js';

export const LIST_LIMITS = {
  perPage: 100,
  maxAttestations: 1_000,
  maxTotalBytes: 64 * 1024 * 1024,
} as const;

export interface ListOptions extends AttestationsApi {
  /** `owner/name`. */
  readonly repository: string;
  /** The artifact's digest, `sha256:<hex>` (or `sha512:<hex>`). */
  readonly digest: string;
  /** Public repositories need none; private ones need `attestations: read`. */
  readonly token?: string;
  /** Only bundles whose statement has this predicate type (GitHub filters). */
  readonly predicateType?: string;
  readonly perPage?: number;
  readonly maxAttestations?: number;
  readonly maxTotalBytes?: number;
}

/** A bundle as GitHub stored it: JSON, not yet verified. */
export type ListedBundle = Readonly<Record<string, unknown>>;

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/** The `after` cursor of the Link header's rel="next" URL, if there is a next page. */
export function nextCursor(link: string | null): string | undefined {
  if (link === null) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null || !/\brel="?next"?/.test(match[2] ?? '')) continue;
    try {
      return new URL(match[1] ?? '', 'http://link.invalid').searchParams.get('after') ?? undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bundlesOf(page: unknown, where: string, purpose: Purpose): ListedBundle[] {
  const list = (page as { attestations?: unknown } | null)?.attestations;
  if (!Array.isArray(list)) {
    throw new SathosError(
      purpose.code,
      'the GitHub API did not answer with a list of attestations',
      {
        where,
      },
    );
  }
  return list.map((item: unknown, index) => {
    const bundle = (item as { bundle?: unknown } | null)?.bundle;
    if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) {
      throw new SathosError(
        purpose.code,
        `the GitHub API listed attestation ${index + 1} without an inline bundle`,
        { where },
      );
    }
    return bundle as ListedBundle;
  });
}

function pageUrl(base: string, options: ListOptions, perPage: number, after?: string): string {
  const url = new URL(`${base}/repos/${options.repository}/attestations/${options.digest}`);
  url.searchParams.set('per_page', String(perPage));
  if (options.predicateType !== undefined)
    url.searchParams.set('predicate_type', options.predicateType);
  if (after !== undefined) url.searchParams.set('after', after);
  return url.href;
}

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) {
    throw new SathosError(
      'USAGE',
      `an attestation lookup needs a digest sha256:<64 hex> (lower case), got '${digest.slice(0, 140)}'`,
    );
  }
}

/**
 * Every bundle GitHub stores for the digest in the repository, across pages. GitHub answers 404
 * when none is stored (or the token cannot see the repository): that is an empty list, which no
 * verification accepts as provenance.
 */
export async function listAttestations(options: ListOptions): Promise<ListedBundle[]> {
  const repository = checkRepository(options.repository);
  checkDigest(options.digest);
  const base = apiBase(options.apiUrl);
  const perPage = Math.min(Math.max(1, options.perPage ?? LIST_LIMITS.perPage), 100);
  const maxCount = options.maxAttestations ?? LIST_LIMITS.maxAttestations;
  let bytesLeft = options.maxTotalBytes ?? LIST_LIMITS.maxTotalBytes;
  const purpose: Purpose = {
    action: `listing the attestations of ${options.digest} in ${repository}`,
    permission: 'attestations: read',
    code: 'USAGE',
  };
  const bundles: ListedBundle[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const url = pageUrl(base, options, perPage, after);
    const init = { method: 'GET', headers: githubHeaders(options.token) };
    const reply = await sendWithRetry(options, url, init, purpose, bytesLeft, [404]).catch(
      (error: unknown) => {
        throw (error as SathosError).code === 'TOO_LARGE'
          ? tooMuch(
              purpose,
              `more than ${options.maxTotalBytes ?? LIST_LIMITS.maxTotalBytes} bytes`,
            )
          : error;
      },
    );
    if (reply.status === 404) {
      if (after === undefined) return [];
      throw new SathosError(purpose.code, 'the GitHub API lost a page while paging (404)', {
        where: url,
      });
    }
    bytesLeft -= Buffer.byteLength(reply.text);
    const page = bundlesOf(jsonOf(reply, purpose, url), url, purpose);
    bundles.push(...page);
    if (bundles.length > maxCount) throw tooMuch(purpose, `more than ${maxCount} attestations`);
    after = nextCursor(reply.headers.get('link'));
    if (after === undefined) return bundles;
    // Every page must bring something: then the count bound also bounds the requests. Empty pages
    // with fresh cursors would otherwise page for millions of requests inside the byte bound.
    if (page.length === 0) {
      throw new SathosError(
        purpose.code,
        'the GitHub API answered an empty page that names a next page; paging stopped',
        { where: url },
      );
    }
    if (seen.has(after)) {
      throw new SathosError(purpose.code, 'the GitHub API repeated a page cursor while paging', {
        where: url,
      });
    }
    seen.add(after);
  }
}

function tooMuch(purpose: Purpose, what: string): SathosError {
  return new SathosError(
    'TOO_LARGE',
    `${purpose.action} found ${what}; refused rather than read in part (narrow it with a predicate type)`,
  );
}
