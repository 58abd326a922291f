// @sathos/core's public API: what the edges (cli, github, guard, node, actions) and the tests use,
// grouped by layer from the bottom up (docs/architecture.md). Anything else is internal: a test that
// needs it imports the module's path.

// The foundation: errors with codes, digests, patterns, bounded readers of what an edge hands in.
export { digestsOf, digestsOfStream, formatDigest, parseDigest, sha256Hex } from './digest.js';
export type { Digest } from './digest.js';
export {
  describeCause,
  isControl,
  isSathosError,
  oneLine,
  REJECTION_CODES,
  SathosError,
  USAGE_CODES,
} from './errors.js';
export type { ErrorCode } from './errors.js';
export { readBoundedBody } from './http-body.js';
export { wholePatternProblem } from './pattern.js';

// identity: who signed — commits (git, ssh, openpgp, gitsign), trusted roots, keys, signer identities.
export {
  commitLinks,
  MAX_COMMIT_BYTES,
  parseCommit,
} from './identity/commits/git/commit-object.js';
export type { GitCommit } from './identity/commits/git/commit-object.js';
export { readGitRepository } from './identity/commits/git/objects.js';
export type { GitObjects, ObjectReader } from './identity/commits/git/objects.js';
export {
  GIT_HARDENING,
  GIT_TIMEOUT_MS,
  gitEnvironment,
  MAX_GIT_OUTPUT_BYTES,
} from './identity/commits/git/process.js';
export type { GitCall, GitResult, GitRunner, GitSession } from './identity/commits/git/process.js';
export {
  MAX_PGP_KEYS_BYTES,
  readPgpKeys,
  verifyPgpSignature,
} from './identity/commits/openpgp/signature.js';
export type { CommitPolicy, SignatureTime } from './identity/commits/signer-rules.js';
export {
  MAX_ALLOWED_SIGNERS_BYTES,
  parseAllowedSigners,
} from './identity/commits/ssh/allowed-signers.js';
export { parseSshSignature, verifySshSignatureOver } from './identity/commits/ssh/sshsig.js';
export type { CommitRange, CommitsVerification, CommitVerdict } from './identity/commits/types.js';
export { verifyCommits } from './identity/commits/verify-commits.js';
export { MAX_PUBLIC_KEY_BYTES, parsePublicKeys } from './identity/keys/public-key.js';
export type { TrustedPublicKey } from './identity/keys/public-key.js';
export { keyTrust } from './identity/keys/unlogged.js';
export type { KeyTrust, KeyTrustSource } from './identity/keys/unlogged.js';
export { generateSigningKeyPair } from './identity/keys/signing-key.js';
export type { SigningKeyPairPem } from './identity/keys/signing-key.js';
export {
  certificateClaims,
  subjectAlternativeName,
} from './identity/signers/certificate-claims.js';
export {
  GITHUB_ACTIONS_ISSUER,
  githubClaimRequirements,
} from './identity/signers/github-claims.js';
export type { ClaimRequirement, GithubSignerFlags } from './identity/signers/github-claims.js';
export { assertIdentityRule } from './identity/signers/identity-rule.js';
export type { IdentityRule } from './identity/signers/identity-rule.js';
export { describeSigner } from './identity/signers/signer-identity.js';
export type { IdentityPolicy, SignerIdentity } from './identity/signers/signer-identity.js';
export {
  githubTrust,
  MAX_TRUSTED_ROOT_BYTES,
  publicGoodTrust,
  trustFromJSON,
} from './identity/trust/trusted-root.js';
export type { Trust } from './identity/trust/trusted-root.js';

// attestation: in-toto records, signing, bundle verification, the chain and its verifier, evidence.
export { appendTransition } from './attestation/chain/append.js';
export type { AppendResult, SignFunction } from './attestation/chain/append.js';
export {
  CHAIN_LIMITS,
  decodeDssePayload,
  decodeRecords,
  linkRef,
  parseChainText,
} from './attestation/chain/chain.js';
export type { ChainLine } from './attestation/chain/chain.js';
export { MemoryChainStore, chainLineOf } from './attestation/chain/store.js';
export type { ChainStore } from './attestation/chain/store.js';
export { verifyChain } from './attestation/chain/verify-chain.js';
export type {
  ArtifactInput,
  ChainRequirements,
  ChainVerification,
} from './attestation/chain/verify-chain.js';
export {
  commitSignaturesEvidence,
  sourceSubjects,
} from './attestation/evidence/commit-signatures-statement.js';
export {
  COMMIT_SIGNATURES_V1,
  commitSignatures,
  GITHUB_WORKFLOW_BUILD_TYPE,
  SLSA_PROVENANCE_V1,
  slsaProvenance,
  testResult,
  verificationSummary,
  vulnerabilityScan,
  WORKFLOW_POSTURE_V1,
} from './attestation/evidence/predicates.js';
export {
  certifiedClaimProblems,
  expectedCertificateClaims,
  claimsRunProblems,
  githubProvenance,
  githubWorkflowClaims,
  LOCAL_BUILD_TYPE,
  localProvenance,
} from './attestation/evidence/github-provenance.js';
export type { GitHubWorkflowClaims, LocalBuild } from './attestation/evidence/github-provenance.js';
export * from './attestation/evidence/reports/index.js';
export { TEST_RESULT_V01, VULNS_V02 } from './attestation/evidence/predicates.js';
export { assertStatement, STATEMENT_TYPE } from './attestation/record/statement.js';
export type { ResourceDescriptor, Statement } from './attestation/record/statement.js';
export {
  assertTransitionStatement,
  buildTransitionStatement,
  BUILTIN_STAGES,
  STAGE_PATTERN,
} from './attestation/record/transition.js';
export type {
  ActorClaims,
  NextLink,
  PolicyDecisionRef,
  RunBinding,
  TransitionStatement,
} from './attestation/record/transition.js';
export { keySigner } from './attestation/sign/key-signer.js';
export { keylessSigner } from './attestation/sign/keyless-signer.js';
export { signStatement } from './attestation/sign/sign.js';
export { certifiedIdentity } from './attestation/sign/certified-identity.js';
export type { CertifiedIdentity } from './attestation/sign/certified-identity.js';
export type { SerializedBundle } from './attestation/sign/sign.js';
export type { KeyStatementSigner } from './attestation/sign/signer.js';
export {
  bundleFromDocument,
  MAX_BUNDLE_FILE_BYTES,
  MAX_JSON_DEPTH,
  parseBundleText,
} from './attestation/verify/bundle-input.js';
export type { StreamedArtifact } from './attestation/verify/streamed-artifact.js';
export { createBundleVerifier, VerifiedBundle } from './attestation/verify/verify-bundle.js';
export type {
  BundleExpectation,
  BundleVerifier,
  VerifiedTimestamp,
} from './attestation/verify/verify-bundle.js';
export { signerPolicyFromFlags } from './attestation/verify/signer-policy.js';
export type { SignerFlags, SignerPolicy } from './attestation/verify/signer-policy.js';
export { bundleInstance, embeddedTrust } from './attestation/verify/trust-choice.js';
export { rootChoosingVerifier } from './attestation/verify/root-choosing-verifier.js';
export {
  custodyFlowchart,
  mermaidText,
  rejectedNodes,
  verifiedNodes,
} from './attestation/verify/custody-diagram.js';
export type { CustodyNode, CustodyVerdict } from './attestation/verify/custody-diagram.js';
export type { RootChoosingVerifier } from './attestation/verify/root-choosing-verifier.js';
export {
  ghVerificationResult,
  VERIFICATION_RESULT_MEDIA_TYPE,
} from './attestation/verify/gh-result.js';
export type { CertificateSummary, GhVerificationResult } from './attestation/verify/gh-result.js';
export type { EmbeddedInstance } from './attestation/verify/trust-choice.js';

// attestation/subjects: what a step attests to — checksums files, digests, image references, parts.
export * from './attestation/subjects/index.js';

// anomaly: a step's egress baselines and decisions (the I/O is @sathos/guard's).
export {
  BASELINE_FORMAT,
  BASELINE_LIMITS,
  emptyBaseline,
  learnRun,
  parseBaseline,
  serializeBaseline,
  STEP_ID_PATTERN,
  withRuns,
} from './anomaly/baseline.js';
export type { Baseline, BaselineRun, LearnResult } from './anomaly/baseline.js';
export { egressDecider } from './anomaly/decide.js';
export type {
  EgressAction,
  EgressDecider,
  EgressDecision,
  EgressProtocol,
  EgressVerdict,
  SandboxKind,
} from './anomaly/events.js';
export { anomalyObservation } from './anomaly/findings.js';
export type { AnomalyObservation, SupervisedRun } from './anomaly/findings.js';
export { canonicalHost, canonicalHostEntryFor, quotedHost } from './anomaly/hosts.js';
export { anomalySettings, planStep } from './anomaly/plan.js';
export type { StepPlan } from './anomaly/plan.js';
export { ANOMALY_MODES } from './anomaly/settings.js';
export type { AnomalyMode } from './anomaly/settings.js';

// policy: the document, CEL, and decisions over a step or a chain.
export { celVariables, parseEvaluationInput } from './policy/cel/values.js';
export { policyFromBytes } from './policy/document/bytes.js';
export { parsePolicy } from './policy/document/document.js';
export type { Policy } from './policy/document/document.js';
export { fetchGithubPolicy } from './policy/document/github-reference.js';
export { INPUT_LIMITS, POLICY_LIMITS } from './policy/document/limits.js';
export { DEFAULT_LOCK_FILE } from './policy/document/posture.js';
export { GITHUB_LOGIN } from './policy/document/gate-demands.js';
export { PolicyInvalidError, problemLine } from './policy/document/problem.js';
export { parsePolicyReference } from './policy/document/reference.js';
export {
  assertChainPolicy,
  evaluateChainPolicy,
  PolicyDeniedError,
} from './policy/evaluate/chain.js';
export type { ChainPolicyEvaluation } from './policy/evaluate/chain.js';
export { decideStep } from './policy/evaluate/decide-step.js';
export { decisionRef, failureLines, resultLine } from './policy/evaluate/decision.js';
export type { Decision } from './policy/evaluate/decision.js';
export { evaluatePolicy } from './policy/evaluate/evaluate.js';
export { stepVariables } from './policy/evaluate/input.js';
export type { RecordView } from './policy/evaluate/input.js';

// posture: the workflows' findings and the action lock, judged with the policy.
export { baselinePolicy } from './posture/baseline.js';
export { evaluatePosture } from './posture/evaluate.js';
export { postureFindings } from './posture/findings.js';
export type { PostureFinding } from './posture/findings.js';
export { compareLock, lockDifferences, lockOf, parseLock, serializeLock } from './posture/lock.js';
export type { LockComparison } from './posture/lock.js';
export { PERMISSION_SCOPES } from './posture/model.js';
export type {
  ActionNode,
  ContextRead,
  JobModel,
  JobPermissions,
  PermissionLevel,
  PermissionScope,
  PostureModel,
  StepInput,
  StepModel,
  TriggerModel,
  UsesRef,
  WorkflowFileModel,
} from './posture/model.js';
export { capScopes, DEFAULT_SCOPES, scopesOf } from './posture/permissions.js';
export type { DeclaredPermissions } from './posture/permissions.js';
export { workflowPostureStatement } from './posture/predicate.js';
export { postureSarif } from './posture/sarif.js';
export { parseUses } from './posture/uses.js';
export { yamlExpansionProblem } from './posture/yaml-guard.js';

// pipeline: the step service and chain verification with the policy; its index is its API.
export * from './pipeline/index.js';
