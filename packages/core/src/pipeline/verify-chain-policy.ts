// The one chain verification every verifier calls (docs/spec.md §5): the chain's bundles, signers,
// graph, completeness, continuity, artifacts and evidence (steps 2–7), the policy re-evaluated for
// every record (step 8), and the verification summary that lists what was used (step 9).
import type { Digest } from '../digest.js';
import type { ChainLine } from '../attestation/chain/chain.js';
import type {
  ArtifactInput,
  BundleChecker,
  ChainRequirements,
  ChainVerification,
} from '../attestation/chain/verify-chain.js';
import { verifyChain } from '../attestation/chain/verify-chain.js';
import type { Statement } from '../attestation/record/statement.js';
import { verificationSummary } from '../attestation/evidence/predicates.js';
import type { Policy } from '../policy/document/document.js';
import type { ChainPolicyEvaluation } from '../policy/evaluate/chain.js';
import { assertChainPolicy } from '../policy/evaluate/chain.js';

export interface ChainCheckInput {
  readonly lines: readonly ChainLine[];
  readonly checker: BundleChecker;
  /** Stages and signers; with a policy, usually `requirementsFromPolicy(policy)`. */
  readonly requirements: ChainRequirements;
  readonly artifacts: readonly ArtifactInput[];
  readonly policy?: Policy;
  /** The verifier's URI, named in the summary. */
  readonly verifierId: string;
  /** The summary's time. */
  readonly clock: () => Date;
  readonly source: string;
}

export interface ChainVerdict {
  readonly verification: ChainVerification;
  /** Every record's re-evaluated decision, each with its rules' results (with a policy). */
  readonly evaluation?: ChainPolicyEvaluation;
  /** The unsigned SLSA verification summary over the artifacts. */
  readonly summary: Statement;
}

/** The stages, signers and environment a policy requires of a chain. */
export function requirementsFromPolicy(policy: Policy, environment?: string): ChainRequirements {
  return {
    stages: policy.stages,
    identities: policy.identities,
    ...(environment === undefined ? {} : { environment }),
  };
}

/**
 * The digests a summary subject names an artifact by: its SHA-256 when known, else the other strong
 * digests given, SHA-1 only when it was all the caller named — never empty.
 */
export function summaryDigest(digests: readonly Digest[]): Record<string, string> {
  const sha256 = digests.filter((d) => d.algorithm === 'sha256');
  const strong = digests.filter((d) => d.algorithm !== 'sha1');
  const chosen = sha256.length > 0 ? sha256 : strong.length > 0 ? strong : digests;
  return Object.fromEntries(chosen.map((d) => [d.algorithm, d.hex]));
}

/** The unsigned summary over the bound artifacts, listing every record the verification used. */
export function chainSummaryStatement(
  result: ChainVerification,
  policy: Policy | undefined,
  verifierId: string,
  now: Date,
): Statement {
  const subjects = result.artifacts.map((a) => ({
    name: a.name,
    digest: summaryDigest(a.digests),
  }));
  return verificationSummary(subjects, {
    verifierId,
    time: now,
    resourceUri: `git+${result.run.repository}@${result.run.commit}`,
    policy:
      policy === undefined
        ? { uri: 'sathos:flags' }
        : { uri: policy.uri, digest: { sha256: policy.digest } },
    inputs: result.records.map((r) => ({ uri: r.where, digest: { sha256: r.digest } })),
    passed: true,
    levels: [result.complete ? 'SATHOS_CHAIN_COMPLETE' : 'SATHOS_CHAIN_PARTIAL'],
  });
}

/** Verifies the chain and its policy; throws (SathosError, PolicyDeniedError) when either rejects. */
export function verifyChainWithPolicy(input: ChainCheckInput): ChainVerdict {
  const verification = verifyChain({
    lines: input.lines,
    checker: input.checker,
    requirements: input.requirements,
    artifacts: input.artifacts,
    source: input.source,
  });
  const evaluation =
    input.policy === undefined
      ? undefined
      : assertChainPolicy(input.policy, verification, input.lines);
  const summary = chainSummaryStatement(
    verification,
    input.policy,
    input.verifierId,
    input.clock(),
  );
  return { verification, summary, ...(evaluation === undefined ? {} : { evaluation }) };
}
