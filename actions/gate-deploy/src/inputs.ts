// gate-deploy's inputs, read once: an input that cannot be used fails the step naming it, before
// anything is verified, signed or requested.
import { SathosError } from '@sathos/core';
import type { Env, SigningRequest } from '@sathos/github';
import { deployAudience, getInput, getListInput, signingRequest } from '@sathos/github';

/** Where the approvals the policy requires are read from. */
export type ApprovalSource =
  | { readonly kind: 'environment' }
  | { readonly kind: 'pull-request'; readonly number: number }
  | { readonly kind: 'none' };

export interface GateInputs {
  readonly chain: string;
  readonly policy: string;
  readonly environment: string;
  readonly artifacts: readonly string[];
  readonly audience: string;
  readonly run?: string;
  readonly approvals: ApprovalSource;
  readonly verifyKeys: readonly string[];
  readonly trustedRoot?: string;
  readonly signing: SigningRequest;
  readonly githubToken?: string;
  readonly workspace: string;
}

const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function approvalSource(env: Env): ApprovalSource {
  const value = getInput(env, 'approvals') ?? 'environment';
  if (value === 'environment' || value === 'none') return { kind: value };
  const match = /^pull-request:([1-9]\d{0,9})$/.exec(value);
  if (match !== null) return { kind: 'pull-request', number: Number(match[1]) };
  throw new SathosError(
    'USAGE',
    `input "approvals" is "${value}"; use "environment", "pull-request:<number>" or "none"`,
  );
}

export function readGateInputs(env: Env): GateInputs {
  const environment = getInput(env, 'environment', { required: true }) ?? '';
  if (!ENVIRONMENT.test(environment))
    throw new SathosError(
      'USAGE',
      `input "environment" is "${environment}", not an environment name`,
    );
  const policy = getInput(env, 'policy', { required: true }) ?? '';
  const artifacts = getListInput(env, 'artifact-path', true);
  if (artifacts.length === 0)
    throw new SathosError(
      'USAGE',
      'input "artifact-path" is required; set it in the step\'s with:',
    );
  const optional = <K extends string>(key: K, value: string | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
  return {
    chain: getInput(env, 'chain') ?? '.sathos/chain.jsonl',
    policy,
    environment,
    artifacts,
    audience: getInput(env, 'audience') ?? deployAudience(environment),
    approvals: approvalSource(env),
    verifyKeys: getListInput(env, 'verify-keys'),
    signing: signingRequest(env),
    workspace: env.GITHUB_WORKSPACE?.trim() || process.cwd(),
    ...optional('run', getInput(env, 'run')),
    ...optional('trustedRoot', getInput(env, 'trusted-root')),
    ...optional('githubToken', getInput(env, 'github-token')),
  };
}
