// Loading the policy a command names: a local file (bounded by the policy limit as it is read) or
// `github:<owner>/<repo>/<path>@<commit sha>` through the GitHub contents API, with an optional
// digest pin. The token and API address come from flags or the environment, here at the edge.
import type { Policy } from '@sathos/core';
import { fetchGithubPolicy, parsePolicyReference, policyFromBytes } from '@sathos/core';
import { readInput } from '../inputs.js';

export interface PolicyLoadOptions {
  /** `sha256:<hex>` the policy bytes must hash to. */
  readonly policyDigest?: string;
  /** GitHub REST API root for `github:` references. */
  readonly githubApi?: string;
}

export interface PolicyLoadContext {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
}

export const DEFAULT_GITHUB_API = 'https://api.github.com';

async function readLocalPolicy(path: string, digest: string | undefined): Promise<Policy> {
  return policyFromBytes(await readInput(path, 'policy'), path, digest);
}

/** Loads and checks the named policy; every failure is a SathosError (and so a denial). */
export async function loadPolicy(
  reference: string,
  options: PolicyLoadOptions = {},
  context: PolicyLoadContext = {},
): Promise<Policy> {
  const ref = parsePolicyReference(reference);
  if (ref.kind === 'file') return readLocalPolicy(ref.path, options.policyDigest);
  const env = context.env ?? process.env;
  const token = env.SATHOS_GITHUB_TOKEN ?? env.GITHUB_TOKEN;
  return fetchGithubPolicy(ref, {
    api: options.githubApi ?? env.GITHUB_API_URL ?? DEFAULT_GITHUB_API,
    fetch: context.fetch ?? fetch,
    ...(token === undefined ? {} : { token }),
    ...(options.policyDigest === undefined ? {} : { expectedDigest: options.policyDigest }),
  });
}
