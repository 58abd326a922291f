// `sathos gate`: the deploy gate on any machine (docs/gate.md). It verifies the complete chain for
// the artifacts with verify-chain's trust flags, decides the deploy to one environment under the
// policy (its rules, change windows, approvals, anomaly findings), signs the decision as a SLSA
// verification summary and appends it as the `decision` record.
// Exit 0 allowed (decision appended); 1 denied (the denial is appended, docs/spec.md §5.2) or the
// chain does not verify (nothing appended); 2 unusable input (nothing appended).
import type { Approval, ArtifactInput, GateResult } from '@sathos/core';
import {
  GITHUB_LOGIN,
  PolicyDeniedError,
  PolicyInvalidError,
  SathosError,
  StepDeniedError,
  gateDeploy,
} from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import { readArtifact } from '../inputs.js';
import type { SigningFlags } from '../signing.js';
import { signerFromFlags } from '../signing.js';
import { VERIFIER_ID } from '../summary.js';
import { invalidPolicyOutcome } from './policy-check.js';
import type { TrustFlags } from './verify-chain.js';
import { assertFlagsAgree, chainTrustFromFlags } from './verify-chain.js';

export interface GateOptions
  extends SigningFlags, Pick<TrustFlags, 'policyDigest' | 'githubApi' | 'trustedRoot'> {
  readonly chain: string;
  readonly artifact?: readonly string[];
  readonly policy?: string;
  readonly environment?: string;
  /** Public keys trusted for the records before the decision (verify-chain's --key). */
  readonly verifyKey?: readonly string[];
  /** Logins whose approval the caller vouches for (recorded with source `cli`). */
  readonly approvedBy?: readonly string[];
}

export interface GateContext {
  readonly now?: () => Date;
}

function assertOptions(o: GateOptions): { policy: string; environment: string } {
  if (o.policy === undefined)
    throw new SathosError('USAGE', 'the gate decides under a policy: --policy <file>');
  if (o.environment === undefined || o.environment === '')
    throw new SathosError('USAGE', 'name the environment to deploy to: --environment <name>');
  if ((o.artifact ?? []).length === 0)
    throw new SathosError('USAGE', 'name the artifacts to deploy: --artifact <path> (repeatable)');
  return { policy: o.policy, environment: o.environment };
}

/** verify-chain's trust flags: the policy says who signs; --verify-key are the keys it trusts. */
function trustFlags(o: GateOptions, policy: string): TrustFlags {
  return {
    policy,
    ...(o.policyDigest === undefined ? {} : { policyDigest: o.policyDigest }),
    ...(o.githubApi === undefined ? {} : { githubApi: o.githubApi }),
    ...(o.trustedRoot === undefined ? {} : { trustedRoot: o.trustedRoot }),
    ...(o.verifyKey === undefined ? {} : { key: o.verifyKey }),
  };
}

const MAX_APPROVALS = 256;

/** `--approved-by` logins, each a GitHub login: anything else would be recorded yet never counted. */
function approvalsFrom(o: GateOptions): Approval[] {
  const logins = o.approvedBy ?? [];
  if (logins.length > MAX_APPROVALS)
    throw new SathosError('USAGE', `--approved-by is given more than ${MAX_APPROVALS} times`);
  return logins.map((by) => {
    if (!GITHUB_LOGIN.test(by))
      throw new SathosError('USAGE', `--approved-by ${JSON.stringify(by)} is not a GitHub login`);
    return { by, source: 'cli' };
  });
}

function allowedOutcome(o: GateOptions, result: GateResult, signer: string): Outcome {
  const { relied, step } = result;
  const reason = `deploy to ${o.environment ?? ''} allowed: chain of ${relied.records.length} records verified from commit ${relied.run.commit.slice(0, 12)}, every rule passed; decision appended to ${o.chain}`;
  const details = {
    chain: o.chain,
    environment: o.environment,
    decision: {
      record: `sha256:${step.appended.digest}`,
      results: result.decision.results,
    },
    summary: result.summary.predicate,
  };
  const lines = [
    reason,
    `  decision record sha256:${step.appended.digest}, signed by ${signer}`,
    ...relied.records.map(
      (r) => `  relied on ${r.stage} sha256:${r.digest.slice(0, 16)}… (${r.where})`,
    ),
  ];
  return success('allowed', reason, details, lines);
}

async function gate(o: GateOptions, context: GateContext): Promise<Outcome> {
  const { policy, environment } = assertOptions(o);
  const approvals = approvalsFrom(o);
  const flags = trustFlags(o, policy);
  assertFlagsAgree(flags);
  const signer = await signerFromFlags(o);
  const trust = await chainTrustFromFlags(flags, signer.publicKeys);
  const artifacts: ArtifactInput[] = await Promise.all((o.artifact ?? []).map(readArtifact));
  if (trust.policy === undefined) throw new SathosError('USAGE', 'the policy did not load');
  const result = await gateDeploy(
    {
      environment,
      policy: trust.policy,
      artifacts,
      approvals,
      verifierId: VERIFIER_ID,
    },
    {
      store: new JsonlFileStore(o.chain),
      signer,
      trust: { checker: trust.checker, requirements: trust.requirements },
      clock: context.now ?? (() => new Date()),
    },
  );
  return allowedOutcome(o, result, signer.description);
}

export async function gateCommand(o: GateOptions, context: GateContext = {}): Promise<Outcome> {
  try {
    return await gate(o, context);
  } catch (error) {
    if (error instanceof PolicyInvalidError) return invalidPolicyOutcome(error, 'allowed');
    if (error instanceof StepDeniedError) {
      return failure('allowed', error, {
        chain: o.chain,
        environment: o.environment,
        denied: {
          record: `sha256:${error.appended.digest}`,
          results: error.decision.results.filter((r) => !r.passed),
        },
      });
    }
    if (error instanceof PolicyDeniedError) return failure('allowed', error, { chain: o.chain });
    return failure('allowed', error, { chain: o.chain });
  }
}
