// Standard attestations a step produces beside its transition record, kept in their own formats so
// the ecosystem's tools read them untouched. Pure builders: every value is handed in.
import type { ResourceDescriptor, Statement } from '../record/statement.js';
import { STATEMENT_TYPE } from '../record/statement.js';

/** https://slsa.dev/spec/v1.0/provenance */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** GitHub Actions' build type, as written by actions/attest-build-provenance. */
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';
/** https://github.com/in-toto/attestation/blob/main/spec/predicates/test-result.md */
export const TEST_RESULT_V01 = 'https://in-toto.io/attestation/test-result/v0.1';
/** https://github.com/in-toto/attestation/blob/main/spec/predicates/vulns_02.md */
export const VULNS_V02 = 'https://in-toto.io/attestation/vulns/v0.2';
/** https://slsa.dev/spec/v1.0/verification_summary */
export const VSA_V1 = 'https://slsa.dev/verification_summary/v1';
/** SATHOS's record of commit signatures checked at the source stage (docs/spec.md). */
export const COMMIT_SIGNATURES_V1 = 'https://sathos.dev/attestation/commit-signatures/v1';
/** The workflows' posture at the verified commit (core/posture builds it). Spec: docs/spec.md §8. */
export const WORKFLOW_POSTURE_V1 = 'https://sathos.dev/attestation/workflow-posture/v1';

function statement(
  subject: readonly ResourceDescriptor[],
  predicateType: string,
  predicate: unknown,
): Statement {
  return { _type: STATEMENT_TYPE, subject, predicateType, predicate };
}

export interface WorkflowBuild {
  readonly serverUrl: string;
  readonly repository: string;
  /** e.g. `.github/workflows/release.yml` */
  readonly workflowPath: string;
  readonly ref: string;
  readonly commit: string;
  readonly eventName: string;
  readonly runnerEnvironment: string;
  readonly runId: string;
  readonly runAttempt: number;
  /** The builder's identity: the workflow that ran, `…/workflow.yml@ref`. */
  readonly builderId: string;
}

/** SLSA provenance v1 shaped like GitHub's, so `gh attestation verify` reads it. */
export function slsaProvenance(
  subjects: readonly ResourceDescriptor[],
  build: WorkflowBuild,
): Statement {
  const repoUrl = `${build.serverUrl}/${build.repository}`;
  return statement(subjects, SLSA_PROVENANCE_V1, {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: build.ref, repository: repoUrl, path: build.workflowPath },
      },
      internalParameters: {
        github: { event_name: build.eventName, runner_environment: build.runnerEnvironment },
      },
      resolvedDependencies: [
        { uri: `git+${repoUrl}@${build.ref}`, digest: { gitCommit: build.commit } },
      ],
    },
    runDetails: {
      builder: { id: build.builderId },
      metadata: {
        invocationId: `${repoUrl}/actions/runs/${build.runId}/attempts/${build.runAttempt}`,
      },
    },
  });
}

export interface TestRun {
  readonly passed: readonly string[];
  readonly failed: readonly string[];
  readonly warned?: readonly string[];
  readonly configuration?: readonly ResourceDescriptor[];
}

export function testResult(subjects: readonly ResourceDescriptor[], run: TestRun): Statement {
  return statement(subjects, TEST_RESULT_V01, {
    result: run.failed.length > 0 ? 'FAILED' : (run.warned?.length ?? 0) > 0 ? 'WARNED' : 'PASSED',
    configuration: run.configuration ?? [],
    passedTests: run.passed,
    warnedTests: run.warned ?? [],
    failedTests: run.failed,
  });
}

export interface Finding {
  readonly id: string;
  readonly severity: string;
  readonly description?: string;
}

export interface Scan {
  readonly scannerUri: string;
  readonly scannerVersion: string;
  readonly findings: readonly Finding[];
  readonly startedOn: Date;
  readonly finishedOn: Date;
}

export function vulnerabilityScan(subjects: readonly ResourceDescriptor[], scan: Scan): Statement {
  return statement(subjects, VULNS_V02, {
    scanner: {
      uri: scan.scannerUri,
      version: scan.scannerVersion,
      result: scan.findings.map((f) => ({
        id: f.id,
        severity: [{ method: 'sathos', score: f.severity }],
        ...(f.description === undefined ? {} : { annotations: [{ description: f.description }] }),
      })),
    },
    metadata: {
      scanStartedOn: scan.startedOn.toISOString(),
      scanFinishedOn: scan.finishedOn.toISOString(),
    },
  });
}

export interface VerificationSummaryInput {
  readonly verifierId: string;
  readonly time: Date;
  readonly resourceUri: string;
  readonly policy: { readonly uri: string; readonly digest?: { readonly sha256: string } };
  readonly inputs: readonly {
    readonly uri?: string;
    readonly digest: { readonly sha256: string };
  }[];
  readonly passed: boolean;
  readonly levels: readonly string[];
}

export function verificationSummary(
  subjects: readonly ResourceDescriptor[],
  v: VerificationSummaryInput,
): Statement {
  return statement(subjects, VSA_V1, {
    verifier: { id: v.verifierId },
    timeVerified: v.time.toISOString(),
    resourceUri: v.resourceUri,
    policy: v.policy,
    inputAttestations: v.inputs,
    verificationResult: v.passed ? 'PASSED' : 'FAILED',
    verifiedLevels: v.levels,
  });
}

export interface CommitSignatureResult {
  readonly commit: string;
  readonly format: 'ssh' | 'openpgp' | 'x509';
  readonly signer: string;
  readonly key: string;
  readonly verdict: 'verified' | 'rejected';
  readonly reason: string;
}

export function commitSignatures(
  subjects: readonly ResourceDescriptor[],
  results: readonly CommitSignatureResult[],
  verifier: string,
): Statement {
  return statement(subjects, COMMIT_SIGNATURES_V1, { verifier, commits: results });
}
