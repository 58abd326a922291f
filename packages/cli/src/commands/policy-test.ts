// `sathos policy test <policy> --input <input.json> --stage <stage>`: one decision over recorded
// inputs, the input's top-level keys bound as the CEL variables. Exit 0 allowed, 1 denied, 2 when
// the policy or the input cannot be used.
import type { Decision, SignerIdentity } from '@sathos/core';
import {
  PolicyInvalidError,
  SathosError,
  evaluatePolicy,
  parseEvaluationInput,
  resultLine,
} from '@sathos/core';
import { readInputText } from '../inputs.js';
import type { Outcome } from '../outcome.js';
import { failure } from '../outcome.js';
import { invalidPolicyOutcome } from './policy-check.js';
import type { PolicyLoadContext, PolicyLoadOptions } from './policy-load.js';
import { loadPolicy } from './policy-load.js';

export interface PolicyTestOptions extends PolicyLoadOptions {
  readonly input: string;
  readonly stage?: string;
  readonly environment?: string;
}

/** The input's `identity`, when it has one: checked against the policy's identities for the stage. */
function identityOf(json: unknown, where: string): SignerIdentity | undefined {
  const value = (json as { identity?: unknown }).identity;
  if (value === undefined) return undefined;
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (v.kind === 'key' && typeof v.keyId === 'string') return { kind: 'key', keyId: v.keyId };
  const claims: unknown = v.claims ?? {};
  if (
    v.kind === 'certificate' &&
    typeof v.issuer === 'string' &&
    typeof v.subject === 'string' &&
    typeof claims === 'object' &&
    claims !== null &&
    Object.values(claims).every((c) => typeof c === 'string')
  ) {
    return { kind: 'certificate', issuer: v.issuer, subject: v.subject, claims };
  }
  throw new SathosError(
    'POLICY_INPUT_INVALID',
    'input identity must be {"kind":"key","keyId":…} or {"kind":"certificate","issuer":…,"subject":…,"claims":{…}}',
    { where },
  );
}

function decisionOutcome(decision: Decision): Outcome {
  const failed = decision.results.filter((r) => !r.passed);
  const reason = decision.allowed
    ? `allowed: ${decision.stage} under ${decision.policy.uri} (${decision.results.length} rules passed)`
    : `denied: ${decision.stage} under ${decision.policy.uri}: ${failed.map(resultLine).join('; ')}`;
  return {
    exitCode: decision.allowed ? 0 : 1,
    json: {
      allowed: decision.allowed,
      code: decision.allowed ? 'OK' : 'POLICY_DENIED',
      reason,
      stage: decision.stage,
      ...(decision.environment === undefined ? {} : { environment: decision.environment }),
      policy: decision.policy,
      results: decision.results,
    },
    lines: [
      decision.allowed ? `allowed: ${decision.stage}` : `denied: ${decision.stage}`,
      `policy ${decision.policy.uri} sha256:${decision.policy.digest.sha256}`,
      ...decision.results.map((r) => `  ${resultLine(r)}`),
    ],
  };
}

export async function policyTestCommand(
  reference: string,
  options: PolicyTestOptions,
  context: PolicyLoadContext = {},
): Promise<Outcome> {
  try {
    const policy = await loadPolicy(reference, options, context);
    const text = await readInputText(options.input, 'policyInput');
    const variables = parseEvaluationInput(text, options.input);
    const json = JSON.parse(text) as Record<string, unknown>;
    const stage = options.stage ?? (typeof json.stage === 'string' ? json.stage : undefined);
    if (stage === undefined) {
      throw new SathosError(
        'USAGE',
        'say which stage to decide: --stage <stage> (or a "stage" key in the input)',
      );
    }
    const identity = identityOf(json, options.input);
    const decision = evaluatePolicy(policy, {
      stage,
      variables,
      ...(identity === undefined ? {} : { identity }),
      ...(options.environment === undefined ? {} : { environment: options.environment }),
    });
    return decisionOutcome(decision);
  } catch (error) {
    if (error instanceof PolicyInvalidError) return invalidPolicyOutcome(error);
    return failure('allowed', error);
  }
}
