// Fetches a policy from another repository at a pinned commit through the GitHub contents API
// (https://docs.github.com/en/rest/repos/contents), so the security team's policy repository, not
// the pipeline, decides what is allowed. The fetcher is injected; every failure denies.
import { readBoundedBody } from '../../http-body.js';
import { SathosError } from '../../errors.js';
import type { PolicyReference } from './reference.js';
import type { Policy } from './document.js';
import { policyFromBytes } from './bytes.js';
import { POLICY_LIMITS } from './limits.js';

export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

export interface GithubPolicyOptions {
  /** The REST API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  readonly api: string;
  readonly token?: string;
  readonly fetch: Fetcher;
  /** `sha256:<hex>` the policy bytes must hash to. */
  readonly expectedDigest?: string;
  /** Milliseconds for the whole request (default 10 000). */
  readonly timeoutMs?: number;
}

export const GITHUB_POLICY_TIMEOUT_MS = 10_000;

type GithubRef = Extract<PolicyReference, { kind: 'github' }>;

/** The contents API URL of the policy: also the URI every decision records. */
export function githubPolicyUrl(api: string, ref: GithubRef): string {
  const path = ref.path.split('/').map(encodeURIComponent).join('/');
  return `${api.replace(/\/+$/, '')}/repos/${ref.owner}/${ref.repo}/contents/${path}?ref=${ref.ref}`;
}

function unavailable(message: string, where: string, cause?: unknown): SathosError {
  return new SathosError('POLICY_UNAVAILABLE', message, {
    where,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Reads at most `max` bytes of a body; more is refused without reading the rest. */
async function boundedBody(response: Response, max: number, where: string): Promise<Buffer> {
  const body = await readBoundedBody(response, max);
  if (body === undefined) throw unavailable(`policy response is larger than ${max} bytes`, where);
  return body;
}

/** The file's bytes from a raw body, or from the JSON form's base64 `content`. */
function fileBytes(body: Buffer, contentType: string, where: string): Buffer {
  if (!contentType.includes('json')) return body;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw unavailable('policy response is neither the raw file nor contents JSON', where, cause);
  }
  const file = json as { type?: unknown; encoding?: unknown; content?: unknown };
  if (file.type !== 'file' || file.encoding !== 'base64' || typeof file.content !== 'string')
    throw unavailable(
      'policy path does not name a file (contents JSON without base64 content)',
      where,
    );
  return Buffer.from(file.content, 'base64');
}

function statusMessage(status: number): string {
  if (status === 404)
    return 'policy not found at that repository, path and commit (404); check the reference and that the token may read it';
  if (status === 401 || status === 403)
    return `policy repository refused the request (${status}); give the token contents: read on it`;
  return `policy could not be fetched (HTTP ${status}); retry, or check the API address`;
}

/** Fetches, pins and parses a policy; throws POLICY_UNAVAILABLE, POLICY_DIGEST_MISMATCH or POLICY_INVALID. */
export async function fetchGithubPolicy(
  ref: GithubRef,
  options: GithubPolicyOptions,
): Promise<Policy> {
  const url = githubPolicyUrl(options.api, ref);
  let bytes: Buffer;
  try {
    const response = await options.fetch(url, {
      method: 'GET',
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? GITHUB_POLICY_TIMEOUT_MS),
      headers: {
        accept: 'application/vnd.github.raw',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'sathos',
        ...(options.token === undefined || options.token === ''
          ? {}
          : { authorization: `Bearer ${options.token}` }),
      },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(statusMessage(response.status), url);
    }
    const body = await boundedBody(response, POLICY_LIMITS.maxBytes * 2, url);
    bytes = fileBytes(body, response.headers.get('content-type') ?? '', url);
  } catch (error) {
    if (error instanceof SathosError) throw error;
    const timedOut =
      error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw unavailable(
      timedOut
        ? 'policy request timed out'
        : 'policy request failed; check the API address and network',
      url,
      error,
    );
  }
  return policyFromBytes(bytes, url, options.expectedDigest);
}
