// Remote actions resolved through the GitHub REST API: a ref to the commit it names today
// (GET /repos/{owner}/{repo}/commits/{ref}), and an action's or workflow's file at that commit
// (GET /repos/{owner}/{repo}/contents/{path}?ref={sha}), so transitive actions join the graph.
import { SathosError, describeCause, readBoundedBody } from '@sathos/core';
import type { GitHubApi } from '../rest.js';
import { REST_LIMITS, getJson } from '../rest.js';

export interface ActionResolver {
  /** The full commit id `ref` names in `owner/repo` now. */
  resolve(repository: string, ref: string): Promise<string>;
  /** A file of `owner/repo` at a commit; undefined when there is none. */
  read(repository: string, commit: string, path: string): Promise<string | undefined>;
}

const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function checkRepository(repository: string): void {
  if (!REPOSITORY.test(repository) || repository.includes('..'))
    throw new SathosError('USAGE', `"${repository}" is not an owner/repo name`);
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** A resolver over the REST API; every answer is checked before it is believed. */
export function githubResolver(api: GitHubApi): ActionResolver {
  const resolved = new Map<string, Promise<string>>();
  return {
    async resolve(repository, ref) {
      checkRepository(repository);
      const key = `${repository.toLowerCase()}@${ref}`;
      let pending = resolved.get(key);
      if (pending === undefined) {
        const path = `/repos/${repository}/commits/${encodeURIComponent(ref)}`;
        pending = getJson(api, path, 'contents: read').then((body) => {
          const sha = (body as { sha?: unknown } | null)?.sha;
          if (typeof sha !== 'string' || !COMMIT.test(sha))
            throw new SathosError(
              'USAGE',
              `the GitHub API named no valid commit for ${repository}@${ref}`,
              {
                where: path,
              },
            );
          return sha;
        });
        resolved.set(key, pending);
      }
      return await pending;
    },
    async read(repository, commit, path) {
      checkRepository(repository);
      if (!COMMIT.test(commit)) throw new SathosError('USAGE', `"${commit}" is not a commit id`);
      const url = `${api.apiUrl.replace(/\/+$/, '')}/repos/${repository}/contents/${encodePath(path)}?ref=${commit}`;
      let response: Response;
      try {
        response = await api.fetch(url, {
          headers: {
            accept: 'application/vnd.github.raw',
            'x-github-api-version': '2022-11-28',
            'user-agent': 'sathos',
            ...(api.token === undefined ? {} : { authorization: `Bearer ${api.token}` }),
          },
          redirect: 'error',
          signal: AbortSignal.timeout(api.timeoutMs ?? 30_000),
        });
      } catch (cause) {
        throw new SathosError(
          'USAGE',
          `cannot reach the GitHub API (${describeCause(cause)}); check --github-api and the network`,
          {
            where: url,
            cause,
          },
        );
      }
      const body = await readBoundedBody(response, REST_LIMITS.maxResponseBytes);
      if (response.status === 404) return undefined;
      if (!response.ok || body === undefined)
        throw new SathosError(
          'USAGE',
          `the GitHub API answered ${response.status} for ${repository}/${path}; check the token`,
          {
            where: url,
          },
        );
      return body.toString('utf8');
    },
  };
}
