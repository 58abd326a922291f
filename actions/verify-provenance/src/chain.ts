// Chain mode: the whole chain of custody for the artifacts, through core's one chain verification
// with policy (verifyChainWithPolicy). The chain is drawn whether it verified or not.
import {
  BUILTIN_STAGES,
  CHAIN_LIMITS,
  GITHUB_ACTIONS_ISSUER,
  SathosError,
  githubClaimRequirements,
  keyTrust,
  parseChainText,
  rejectedNodes,
  requirementsFromPolicy,
  rootChoosingVerifier,
  verifiedNodes,
  verifyChainWithPolicy,
  type ArtifactInput,
  type ChainRequirements,
  type CustodyNode,
  type IdentityRule,
  type Policy,
  type SignerFlags,
  type Trust,
  type TrustedPublicKey,
} from '@sathos/core';
import { readInputFile } from '@sathos/github';

export const VERIFIER_ID = 'https://sathos.dev/verifier/verify-provenance@0.1.0';

export interface ChainCheck {
  readonly chainPath: string;
  readonly artifacts: readonly ArtifactInput[];
  readonly trust: Trust | undefined;
  readonly keys: readonly TrustedPublicKey[];
  readonly signer: SignerFlags;
  readonly policy: Policy | undefined;
  readonly environment: string | undefined;
}

export interface Verdict {
  readonly verified: boolean;
  readonly reason: string;
  readonly nodes: readonly CustodyNode[];
  readonly failures: readonly string[];
  readonly roots: readonly string[];
}

/** Without a policy, the inputs say who may sign every stage; with none of them, nobody may. */
function flagRequirements(
  signer: SignerFlags,
  keys: readonly TrustedPublicKey[],
): ChainRequirements {
  const github = githubClaimRequirements(signer).length > 0;
  const rules: IdentityRule[] = keys.map((k) => ({ keyId: k.keyId }));
  const subject =
    signer.certIdentity !== undefined
      ? { subject: signer.certIdentity }
      : signer.certIdentityRegexp !== undefined
        ? { subjectRegexp: signer.certIdentityRegexp }
        : github
          ? { subjectRegexp: '.+' }
          : undefined;
  if (subject !== undefined) {
    rules.push({ issuer: signer.certOidcIssuer ?? GITHUB_ACTIONS_ISSUER, ...subject });
  }
  if (rules.length === 0) {
    throw new SathosError(
      'USAGE',
      'say who may sign the chain: input "policy", "verify-keys", "cert-identity" or the GitHub identity inputs (owner, repo, signer-workflow…)',
    );
  }
  const stages = [...BUILTIN_STAGES];
  return { stages, identities: Object.fromEntries(stages.map((s) => [s, rules])) };
}

export async function verifyChainInput(c: ChainCheck): Promise<Verdict> {
  const text = await readInputFile(c.chainPath, 'chain', CHAIN_LIMITS.maxBytes);
  const lines = parseChainText(text, c.chainPath);
  const subjectNamed =
    c.signer.certIdentity !== undefined || c.signer.certIdentityRegexp !== undefined;
  const checker = rootChoosingVerifier({
    ...(c.trust === undefined ? {} : { trust: c.trust }),
    ...keyTrust({ keys: c.keys, rootNamed: c.trust !== undefined }),
    claims: githubClaimRequirements(c.signer, { subjectNamed }),
  });
  const base =
    c.policy === undefined
      ? flagRequirements(c.signer, c.keys)
      : requirementsFromPolicy(c.policy, c.environment);
  const requirements =
    c.policy === undefined && c.environment !== undefined
      ? { ...base, environment: c.environment }
      : base;
  try {
    const verdict = verifyChainWithPolicy({
      lines,
      checker,
      requirements,
      artifacts: c.artifacts,
      ...(c.policy === undefined ? {} : { policy: c.policy }),
      verifierId: VERIFIER_ID,
      clock: () => new Date(),
      source: c.chainPath,
    });
    const result = verdict.verification;
    return {
      verified: true,
      reason: `chain of ${result.records.length} records verified from commit ${result.run.commit.slice(0, 12)} to ${result.head.stage}${result.complete ? ' (complete)' : ''}`,
      nodes: verifiedNodes(result),
      failures: [],
      roots: checker.roots(),
    };
  } catch (error) {
    const line = failureLine(error);
    return {
      verified: false,
      reason: line,
      nodes: rejectedNodes(lines, checker, error, c.chainPath),
      failures: [line],
      roots: checker.roots(),
    };
  }
}

/** The one line a failure shows: its code and message. */
export function failureLine(error: unknown): string {
  if (error instanceof SathosError) return `${error.code}: ${error.line}`;
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
