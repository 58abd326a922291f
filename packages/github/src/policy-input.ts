// An action's `policy` input: a file in the workspace, or `github:<owner>/<repo>/<path>@<commit sha>`
// read through the REST API from another repository. One reader for every action.
import {
  POLICY_LIMITS,
  fetchGithubPolicy,
  parsePolicy,
  parsePolicyReference,
  type Policy,
} from '@sathos/core';
import { readInputFile } from './files.js';
import type { GitHubApi } from './rest.js';

/** Reads and parses the policy an action input names; bounded, and pinned when remote. */
export async function readPolicyInput(reference: string, api: GitHubApi): Promise<Policy> {
  const ref = parsePolicyReference(reference);
  if (ref.kind === 'github') {
    return fetchGithubPolicy(ref, {
      api: api.apiUrl,
      fetch: (url, init) => api.fetch(url, init),
      ...(api.token === undefined ? {} : { token: api.token }),
    });
  }
  return parsePolicy(await readInputFile(ref.path, 'policy', POLICY_LIMITS.maxBytes), ref.path);
}
