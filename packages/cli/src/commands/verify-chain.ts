// `sathos verify-chain`: the whole chain of custody for the given artifacts (DESIGN.md §3).
import type { ChainRequirements, ChainVerification, IdentityRule, Policy } from '@sathos/core';
import {
  BUILTIN_STAGES,
  SathosError,
  assertIdentityRule,
  createBundleVerifier,
  parseChainText,
  verifyChain,
} from '@sathos/core';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import { readArtifact, readKeys, readPolicy, readText, readTrust } from '../inputs.js';
import { chainSummary, summaryLines } from '../summary.js';

export interface VerifyChainOptions {
  readonly chain: string;
  readonly artifact: readonly string[];
  readonly policy?: string;
  readonly trustedRoot?: string;
  readonly key?: readonly string[];
  readonly requireStage?: readonly string[];
  readonly certIdentity?: string;
  readonly certIdentityRegexp?: string;
  readonly certOidcIssuer?: string;
}

/** Without a policy, the flags say who may sign; with none of them, nobody is trusted by default. */
function requirementsFromFlags(
  o: VerifyChainOptions,
  keyIds: readonly string[],
): ChainRequirements {
  const stages = o.requireStage ?? [...BUILTIN_STAGES];
  let rules: IdentityRule[];
  if (
    o.certIdentity !== undefined ||
    o.certIdentityRegexp !== undefined ||
    o.certOidcIssuer !== undefined
  ) {
    const rule: IdentityRule = {
      ...(o.certOidcIssuer === undefined ? {} : { issuer: o.certOidcIssuer }),
      ...(o.certIdentity === undefined ? {} : { subject: o.certIdentity }),
      ...(o.certIdentityRegexp === undefined ? {} : { subjectRegexp: o.certIdentityRegexp }),
    };
    assertIdentityRule(rule, '--cert-identity/--cert-oidc-issuer');
    rules = [rule, ...keyIds.map((keyId) => ({ keyId }))];
  } else if (keyIds.length > 0) {
    rules = keyIds.map((keyId) => ({ keyId }));
  } else {
    throw new SathosError(
      'USAGE',
      'say who may sign the chain: --policy, --key, or --cert-identity(-regexp) with --cert-oidc-issuer',
    );
  }
  return { stages, identities: Object.fromEntries(stages.map((s) => [s, rules])) };
}

function requirementsFromPolicy(policy: Policy): ChainRequirements {
  return { stages: policy.stages, identities: policy.identities };
}

export async function verifyChainCommand(o: VerifyChainOptions): Promise<Outcome> {
  try {
    if (
      o.policy !== undefined &&
      (o.requireStage !== undefined ||
        o.certIdentity !== undefined ||
        o.certIdentityRegexp !== undefined ||
        o.certOidcIssuer !== undefined)
    ) {
      throw new SathosError(
        'USAGE',
        '--policy names stages and signers itself; drop --require-stage and --cert-* flags',
      );
    }
    const [trust, keys, policy] = await Promise.all([
      readTrust(o.trustedRoot),
      readKeys(o.key),
      o.policy === undefined ? undefined : readPolicy(o.policy),
    ]);
    const requirements =
      policy === undefined
        ? requirementsFromFlags(
            o,
            keys.map((k) => k.keyId),
          )
        : requirementsFromPolicy(policy);
    const artifacts = await Promise.all(o.artifact.map(readArtifact));
    const lines = parseChainText(await readText(o.chain, 'chain'), o.chain);
    const checker = createBundleVerifier(trust, {
      keys,
      allowUnloggedKeySignatures: keys.length > 0,
    });
    const result: ChainVerification = verifyChain({
      lines,
      checker,
      requirements,
      artifacts: artifacts.map(({ name, digests }) => ({ name, digests })),
      source: o.chain,
    });
    const summary = chainSummary(result, policy, new Date());
    const reason = `chain of ${result.records.length} records verified from commit ${result.run.commit.slice(0, 12)} to ${result.head.stage}${result.complete ? ' (complete)' : ''}`;
    return success('verified', reason, summary, [reason, ...summaryLines(result)]);
  } catch (error) {
    return failure('verified', error);
  }
}
