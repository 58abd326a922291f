// The action's inputs as one typed value. Only index.ts calls readRunInputs; run() never reads the
// environment for inputs.
import { SathosError, type SignerFlags } from '@sathos/core';
import { assertExclusive, getBooleanInput, getInput, getListInput, type Env } from '@sathos/github';

/** What is verified: the chain of custody, or standalone attestations about the artifacts. */
export type Evidence =
  | { readonly kind: 'chain'; readonly path: string }
  | { readonly kind: 'bundles'; readonly path: string }
  | { readonly kind: 'github'; readonly repository: string }
  | { readonly kind: 'oci'; readonly images: readonly string[] };

export interface RunInputs {
  /** Paths or globs, relative to the workspace. */
  readonly artifacts: readonly string[];
  readonly digests: readonly string[];
  readonly evidence: Evidence;
  readonly policy?: string;
  readonly trustedRoot?: string;
  readonly environment?: string;
  readonly verifyKeys: readonly string[];
  readonly signer: SignerFlags;
  readonly githubToken?: string;
}

const SIGNER_INPUTS = {
  owner: 'owner',
  repo: 'repo',
  signerWorkflow: 'signer-workflow',
  signerRepo: 'signer-repo',
  signerDigest: 'signer-digest',
  sourceRef: 'source-ref',
  sourceDigest: 'source-digest',
  certIdentity: 'cert-identity',
  certIdentityRegexp: 'cert-identity-regexp',
  certOidcIssuer: 'cert-oidc-issuer',
  predicateType: 'predicate-type',
} as const;

function signerFlags(env: Env, keyed: boolean): SignerFlags {
  const flags: Record<string, string | boolean> = {};
  for (const [field, input] of Object.entries(SIGNER_INPUTS)) {
    const value = getInput(env, input);
    if (value !== undefined) flags[field] = value;
  }
  if (getBooleanInput(env, 'deny-self-hosted-runners', false)) flags.denySelfHostedRunners = true;
  return { ...(flags as SignerFlags), keyed };
}

function evidence(env: Env): Evidence {
  const images = getListInput(env, 'images');
  if (images.length > 0) {
    for (const other of ['bundles', 'attestations-repository', 'policy', 'artifacts', 'digests']) {
      assertExclusive(env, ['images', other]);
    }
    return { kind: 'oci', images };
  }
  assertExclusive(env, ['bundles', 'attestations-repository']);
  assertExclusive(env, ['bundles', 'policy']);
  assertExclusive(env, ['attestations-repository', 'policy']);
  const bundles = getInput(env, 'bundles');
  if (bundles !== undefined) return { kind: 'bundles', path: bundles };
  const repository = getInput(env, 'attestations-repository');
  if (repository !== undefined) return { kind: 'github', repository };
  return { kind: 'chain', path: getInput(env, 'chain') ?? '.sathos/chain.jsonl' };
}

/** Reads every input once, failing on the first unusable one with a message naming it. */
export function readRunInputs(env: Env): RunInputs {
  const artifacts = getListInput(env, 'artifacts');
  const digests = getListInput(env, 'digests');
  if (artifacts.length === 0 && digests.length === 0 && getListInput(env, 'images').length === 0) {
    throw new SathosError(
      'USAGE',
      'input "artifacts" is required (or "digests", or "images"): name what whose provenance is verified',
    );
  }
  const verifyKeys = getListInput(env, 'verify-keys');
  const optional = (name: string) => getInput(env, name);
  const policy = optional('policy');
  const trustedRoot = optional('trusted-root');
  const environment = optional('environment');
  const githubToken = optional('github-token');
  return {
    artifacts,
    digests,
    evidence: evidence(env),
    ...(policy === undefined ? {} : { policy }),
    ...(trustedRoot === undefined ? {} : { trustedRoot }),
    ...(environment === undefined ? {} : { environment }),
    verifyKeys,
    signer: signerFlags(env, verifyKeys.length > 0),
    ...(githubToken === undefined ? {} : { githubToken }),
  };
}
