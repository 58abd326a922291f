// The few GitHub REST calls the actions make, through a fetch handed in, so tests answer them from a
// loopback server. Pages are requested by number (never by following a Link header to another host).
// https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request
import { SathosError, describeCause, readBoundedBody } from '@sathos/core';

export type Fetch = typeof fetch;

export interface GitHubApi {
  /** e.g. `https://api.github.com`, from GITHUB_API_URL. */
  readonly apiUrl: string;
  readonly token: string | undefined;
  readonly fetch: Fetch;
  /** Per-request timeout in milliseconds (default 30 000). */
  readonly timeoutMs?: number;
}

export const REST_LIMITS = {
  /** GitHub lists at most 250 commits of a pull request. */
  maxPullRequestCommits: 250,
  perPage: 100,
  maxResponseBytes: 16 * 1024 * 1024,
} as const;

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

function headers(token: string | undefined): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'sathos',
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
}

async function boundedText(response: Response, where: string): Promise<string> {
  const body = await readBoundedBody(response, REST_LIMITS.maxResponseBytes);
  if (body === undefined) {
    throw new SathosError(
      'TOO_LARGE',
      `the GitHub API answer is larger than ${REST_LIMITS.maxResponseBytes} bytes`,
      { where },
    );
  }
  return body.toString('utf8');
}

/** GET one API path as JSON; HTTP errors say which permission is likely missing. */
export async function getJson(api: GitHubApi, path: string, permission: string): Promise<unknown> {
  const url = `${api.apiUrl.replace(/\/+$/, '')}${path}`;
  let response: Response;
  try {
    response = await api.fetch(url, {
      headers: headers(api.token),
      redirect: 'error',
      signal: AbortSignal.timeout(api.timeoutMs ?? 30_000),
    });
  } catch (cause) {
    throw new SathosError(
      'USAGE',
      `cannot reach the GitHub API (${describeCause(cause)}); check GITHUB_API_URL and the network`,
      { where: url, cause },
    );
  }
  const text = await boundedText(response, url);
  if (!response.ok) {
    const hint = [401, 403, 404].includes(response.status)
      ? `; check github-token and that the job grants \`permissions: ${permission}\``
      : '; retry the job';
    throw new SathosError('USAGE', `the GitHub API answered ${response.status}${hint}`, {
      where: url,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SathosError('USAGE', 'the GitHub API answered with something that is not JSON', {
      where: url,
      cause,
    });
  }
}

function shasOf(page: unknown, where: string): string[] {
  if (!Array.isArray(page)) {
    throw new SathosError('USAGE', 'the GitHub API did not answer with a list of commits', {
      where,
    });
  }
  return page.map((item: unknown) => {
    const sha = (item as { sha?: unknown } | null)?.sha;
    if (typeof sha !== 'string' || !COMMIT.test(sha)) {
      throw new SathosError('USAGE', 'the GitHub API listed a commit without a valid sha', {
        where,
      });
    }
    return sha;
  });
}

/**
 * The commits of a pull request, oldest first. GitHub lists at most 250; a pull request that
 * reaches the cap may have more, so it is refused rather than verified in part.
 */
export async function listPullRequestCommits(
  api: GitHubApi,
  repository: string,
  number: number,
): Promise<string[]> {
  const commits: string[] = [];
  const pages = Math.ceil(REST_LIMITS.maxPullRequestCommits / REST_LIMITS.perPage);
  for (let page = 1; page <= pages; page++) {
    const path = `/repos/${repository}/pulls/${number}/commits?per_page=${REST_LIMITS.perPage}&page=${page}`;
    const shas = shasOf(await getJson(api, path, 'pull-requests: read'), path);
    commits.push(...shas);
    if (shas.length < REST_LIMITS.perPage) break;
  }
  if (commits.length >= REST_LIMITS.maxPullRequestCommits) {
    throw new SathosError(
      'USAGE',
      `pull request #${number} has ${REST_LIMITS.maxPullRequestCommits} or more commits, more than GitHub lists; give the range input (base..head) instead`,
    );
  }
  return commits;
}
