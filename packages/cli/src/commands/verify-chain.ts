// `sathos verify-chain`: the whole chain of custody for the given artifacts (docs/spec.md §5).
import type {
  ArtifactInput,
  ChainCheckInput,
  ChainVerdict,
  ChainPolicyEvaluation,
  ChainRequirements,
  IdentityRule,
  GithubSignerFlags,
  Policy,
  TrustedPublicKey,
} from '@sathos/core';
import {
  BUILTIN_STAGES,
  GITHUB_ACTIONS_ISSUER,
  PolicyDeniedError,
  PolicyInvalidError,
  SathosError,
  assertIdentityRule,
  githubClaimRequirements,
  rootChoosingVerifier,
  formatDigest,
  keyTrust,
  parseChainText,
  parseDigest,
  requirementsFromPolicy,
  verifyChainWithPolicy,
} from '@sathos/core';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import { readArtifact, readInputText, readKeys, readTrust } from '../inputs.js';
import { invalidPolicyOutcome } from './policy-check.js';
import { loadPolicy } from './policy-load.js';
import { VERIFIER_ID, chainSummary, summaryLines } from '../summary.js';

export interface VerifyChainOptions extends GithubSignerFlags {
  readonly chain: string;
  readonly artifact?: readonly string[];
  /** Artifacts by digest (`<alg>:<hex>`), when the files are not at hand. */
  readonly digest?: readonly string[];
  /** The environment every deploy record must name (and a policy, when given, declare). */
  readonly environment?: string;
  readonly policy?: string;
  readonly policyDigest?: string;
  readonly githubApi?: string;
  readonly trustedRoot?: string;
  readonly key?: readonly string[];
  readonly requireStage?: readonly string[];
  readonly certIdentity?: string;
  readonly certIdentityRegexp?: string;
  readonly certOidcIssuer?: string;
}

/** The flags that say whom to trust: verify-chain's, and attest's for the chain it is handed. */
export type TrustFlags = Omit<VerifyChainOptions, 'chain' | 'artifact' | 'digest'>;

/** Without a policy, the flags say who may sign; with none of them, nobody is trusted by default. */
function requirementsFromFlags(o: TrustFlags, keyIds: readonly string[]): ChainRequirements {
  const stages = o.requireStage ?? [...BUILTIN_STAGES];
  let rules: IdentityRule[];
  const github = githubClaimRequirements(o).length > 0;
  if (
    o.certIdentity !== undefined ||
    o.certIdentityRegexp !== undefined ||
    o.certOidcIssuer !== undefined ||
    github
  ) {
    // GitHub flags name the signer by its certificate's claims (checked on every bundle by the
    // checker); the rule then only fixes the issuer, GitHub Actions' unless told otherwise.
    const subject =
      o.certIdentity === undefined && o.certIdentityRegexp === undefined && github
        ? { subjectRegexp: '.+' }
        : {};
    const rule: IdentityRule = {
      ...(o.certOidcIssuer === undefined
        ? github
          ? { issuer: GITHUB_ACTIONS_ISSUER }
          : {}
        : { issuer: o.certOidcIssuer }),
      ...(o.certIdentity === undefined ? {} : { subject: o.certIdentity }),
      ...(o.certIdentityRegexp === undefined ? {} : { subjectRegexp: o.certIdentityRegexp }),
      ...subject,
    };
    assertIdentityRule(rule, '--cert-identity/--cert-oidc-issuer');
    rules = [rule, ...keyIds.map((keyId) => ({ keyId }))];
  } else if (keyIds.length > 0) {
    rules = keyIds.map((keyId) => ({ keyId }));
  } else {
    throw new SathosError(
      'USAGE',
      'say who may sign the chain: --policy, --key, --cert-identity(-regexp) with --cert-oidc-issuer, or GitHub flags (--owner, --repo, --signer-workflow…)',
    );
  }
  return { stages, identities: Object.fromEntries(stages.map((s) => [s, rules])) };
}

/** Step 8's outcome in the `--json` details: every record's re-evaluated decision. */
function policySummary(evaluation: ChainPolicyEvaluation): Record<string, unknown> {
  return {
    uri: evaluation.policy.uri,
    digest: evaluation.policy.digest,
    allowed: evaluation.allowed,
    decisions: evaluation.decisions.map((d) => ({
      stage: d.stage,
      record: d.digest,
      location: d.where,
      allowed: d.decision.allowed,
      results: d.decision.results,
    })),
  };
}

function withEnvironment(
  base: ChainRequirements,
  environment: string | undefined,
): ChainRequirements {
  return environment === undefined ? base : { ...base, environment };
}

/** `--environment`: with a policy, it must be one the policy declares (else no rule could apply). */
function environmentFromFlags(o: TrustFlags, policy: Policy | undefined): string | undefined {
  const name = o.environment;
  if (name === undefined) return undefined;
  if (name === '') throw new SathosError('USAGE', '--environment needs a name, e.g. production');
  if (policy !== undefined && !Object.hasOwn(policy.environments, name)) {
    const declared = Object.keys(policy.environments);
    throw new SathosError(
      'USAGE',
      `--environment ${name} is not declared by the policy (${declared.length === 0 ? 'it declares none' : `it declares ${declared.join(', ')}`}); name one it declares`,
    );
  }
  return name;
}

/** `--digest <alg>:<hex>`: an artifact named by one digest, for when its bytes are not at hand. */
function artifactsFromDigests(texts: readonly string[]): ArtifactInput[] {
  return texts.map((text) => {
    const digest = parseDigest(text);
    if (digest === undefined) {
      throw new SathosError(
        'USAGE',
        `--digest ${JSON.stringify(text)} must be <alg>:<hex> with alg sha256, sha384, sha512 or sha1`,
      );
    }
    return { name: formatDigest(digest), digests: [digest] };
  });
}

/** The artifacts to bind: files (hashed as streams) and digests; at least one is required. */
async function artifactsFromFlags(o: VerifyChainOptions): Promise<ArtifactInput[]> {
  const byDigest = artifactsFromDigests(o.digest ?? []);
  const files = o.artifact ?? [];
  if (files.length === 0 && byDigest.length === 0) {
    throw new SathosError(
      'USAGE',
      'name the artifacts the chain must have built: --artifact <path> or --digest <alg>:<hex> (repeatable)',
    );
  }
  return [...(await Promise.all(files.map(readArtifact))), ...byDigest];
}

/** --policy names stages and signers itself; the flags that would say it again are refused. */
export function assertFlagsAgree(o: TrustFlags): void {
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
  if (o.policy === undefined && (o.policyDigest !== undefined || o.githubApi !== undefined)) {
    throw new SathosError('USAGE', '--policy-digest and --github-api apply to --policy; name one');
  }
}

/** Who the flags say may sign the chain, and the checker of its bundles (verify-chain, attest). */
export interface ChainTrustFromFlags {
  readonly checker: ChainCheckInput['checker'];
  readonly requirements: ChainRequirements;
  readonly policy?: Policy;
}

/**
 * The trust flags read and checked: the trusted root, the public keys, the policy or the flags'
 * stages and signers. `signingKeys` are keys the caller signs with itself: their signatures verify,
 * but only the policy or the flags say which stages they may sign.
 */
export async function chainTrustFromFlags(
  o: TrustFlags,
  signingKeys: readonly TrustedPublicKey[] = [],
): Promise<ChainTrustFromFlags> {
  const [trust, keys, policy] = await Promise.all([
    readTrust(o.trustedRoot),
    readKeys(o.key),
    o.policy === undefined
      ? undefined
      : loadPolicy(o.policy, {
          ...(o.policyDigest === undefined ? {} : { policyDigest: o.policyDigest }),
          ...(o.githubApi === undefined ? {} : { githubApi: o.githubApi }),
        }),
  ]);
  const environment = environmentFromFlags(o, policy);
  const requirements =
    policy === undefined
      ? withEnvironment(
          requirementsFromFlags(
            o,
            keys.map((k) => k.keyId),
          ),
          environment,
        )
      : requirementsFromPolicy(policy, environment);
  const verifying = [...keys, ...signingKeys];
  // Air-gapped key signing leaves no log entry: core's one rule (keyTrust) decides when that is
  // accepted, as in verify-bundle.
  // No --trusted-root: each bundle is judged by the embedded root of its certificate's issuer; the
  // GitHub flags, when given, are demanded of every bundle's signer (they narrow a policy too).
  const checker = rootChoosingVerifier({
    ...(o.trustedRoot === undefined ? {} : { trust }),
    ...keyTrust({ keys: verifying, rootNamed: o.trustedRoot !== undefined }),
    claims: githubClaimRequirements(o, {
      subjectNamed: o.certIdentity !== undefined || o.certIdentityRegexp !== undefined,
    }),
  });
  return { checker, requirements, ...(policy === undefined ? {} : { policy }) };
}

/** Everything the flags name, read and checked: trust, keys, policy, requirements, artifacts, chain. */
async function readChainCheck(o: VerifyChainOptions): Promise<ChainCheckInput> {
  const { checker, requirements, policy } = await chainTrustFromFlags(o);
  const artifacts = await artifactsFromFlags(o);
  const lines = parseChainText(await readInputText(o.chain, 'chain'), o.chain);
  return {
    lines,
    checker,
    requirements,
    artifacts,
    ...(policy === undefined ? {} : { policy }),
    verifierId: VERIFIER_ID,
    clock: () => new Date(),
    source: o.chain,
  };
}

function verifiedOutcome(verdict: ChainVerdict): Outcome {
  const { verification: result, evaluation } = verdict;
  const summary = chainSummary(verdict);
  const reason = `chain of ${result.records.length} records verified from commit ${result.run.commit.slice(0, 12)} to ${result.head.stage}${result.complete ? ' (complete)' : ''}`;
  const policyLines =
    evaluation === undefined
      ? []
      : [
          `policy ${evaluation.policy.uri} (sha256:${evaluation.policy.digest.sha256.slice(0, 16)}…): every record's decision re-evaluated and allowed`,
        ];
  return success(
    'verified',
    reason,
    evaluation === undefined ? summary : { ...summary, policy: policySummary(evaluation) },
    [reason, ...summaryLines(result), ...policyLines],
  );
}

export async function verifyChainCommand(o: VerifyChainOptions): Promise<Outcome> {
  try {
    assertFlagsAgree(o);
    // Steps 2–9 in core: the chain, the policy re-evaluated for every record, and the summary.
    return verifiedOutcome(verifyChainWithPolicy(await readChainCheck(o)));
  } catch (error) {
    if (error instanceof PolicyInvalidError) return invalidPolicyOutcome(error, 'verified');
    if (error instanceof PolicyDeniedError)
      return failure('verified', error, { policy: policySummary(error.evaluation) });
    return failure('verified', error);
  }
}
