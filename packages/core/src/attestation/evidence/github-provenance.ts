// SLSA Provenance v1 for a build, in two honest forms. On GitHub Actions: GitHub's own build type,
// field for field as actions/attest-build-provenance writes it, so `gh attestation verify` and the
// attestations API read it — built only from the job's OIDC claims, and checked against what Fulcio
// certified from that token before anything is appended. Elsewhere (the CLI on a laptop): a local
// build type that claims no more than the environment handed in.
// Build type: https://github.com/actions/buildtypes/tree/main/workflow/v1
// Fulcio's claim mapping: https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md
import { SathosError, isControl } from '../../errors.js';
import type { CertificateClaims } from '../../identity/signers/signer-identity.js';
import type { ResourceDescriptor, Statement } from '../record/statement.js';
import { STATEMENT_TYPE } from '../record/statement.js';
import type { RunBinding } from '../record/transition.js';
import { GITHUB_WORKFLOW_BUILD_TYPE, SLSA_PROVENANCE_V1 } from './predicates.js';

/** SATHOS's build type for builds outside GitHub Actions: the environment's word, nothing certified. */
export const LOCAL_BUILD_TYPE = 'https://sathos.dev/buildtypes/local/v1';

/** The claims of a GitHub Actions OIDC token that GitHub's provenance is made of. */
export interface GitHubWorkflowClaims {
  /** GITHUB_SERVER_URL, no trailing slash. */
  readonly serverUrl: string;
  readonly repository: string;
  readonly repositoryId: string;
  readonly repositoryOwnerId: string;
  /** `owner/repo/.github/workflows/x.yml@ref`: the top-level workflow. */
  readonly workflowRef: string;
  /** `owner/repo/.github/workflows/x.yml@ref`: the workflow whose job runs (a reusable one, or the same). */
  readonly jobWorkflowRef: string;
  readonly ref: string;
  readonly sha: string;
  readonly eventName: string;
  readonly runnerEnvironment: string;
  readonly runId: string;
  readonly runAttempt: string;
}

const CLAIM_NAMES = {
  repository: 'repository',
  repositoryId: 'repository_id',
  repositoryOwnerId: 'repository_owner_id',
  workflowRef: 'workflow_ref',
  jobWorkflowRef: 'job_workflow_ref',
  ref: 'ref',
  sha: 'sha',
  eventName: 'event_name',
  runnerEnvironment: 'runner_environment',
  runId: 'run_id',
  runAttempt: 'run_attempt',
} as const satisfies Record<Exclude<keyof GitHubWorkflowClaims, 'serverUrl'>, string>;

/** Whitespace or a control character: a claim holding one would forge text into URIs and logs. */
function hasBreakOrControl(value: string): boolean {
  if (/\s/.test(value)) return true;
  for (let i = 0; i < value.length; i += 1) if (isControl(value.charCodeAt(i))) return true;
  return false;
}

/** Claims that must look like these before they go into a URI. */
const CLAIM_SHAPES: Partial<Record<keyof typeof CLAIM_NAMES, RegExp>> = {
  repository: /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/,
  sha: /^([0-9a-f]{40}|[0-9a-f]{64})$/,
  runId: /^[0-9]+$/,
  runAttempt: /^[1-9][0-9]*$/,
  repositoryId: /^[0-9]+$/,
  repositoryOwnerId: /^[0-9]+$/,
};

/**
 * The workflow claims of a GitHub Actions token's payload; one usage error naming every missing or
 * malformed claim (a token from another issuer, or from a runner too old to carry them).
 */
export function githubWorkflowClaims(
  payload: Readonly<Record<string, unknown>>,
  serverUrl: string,
): GitHubWorkflowClaims {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const [field, claim] of Object.entries(CLAIM_NAMES)) {
    const value = payload[claim];
    const shape = CLAIM_SHAPES[field as keyof typeof CLAIM_NAMES];
    if (typeof value !== 'string' || value === '' || hasBreakOrControl(value)) {
      problems.push(claim);
    } else if (shape !== undefined && !shape.test(value)) problems.push(`${claim} (malformed)`);
    else values[field] = value;
  }
  const prefix = `${values.repository ?? ''}/`;
  if (values.workflowRef !== undefined && !values.workflowRef.startsWith(prefix)) {
    problems.push('workflow_ref (not in the repository)');
  }
  if (problems.length > 0) {
    throw new SathosError(
      'USAGE',
      `the OIDC token lacks the GitHub Actions claims ${problems.join(', ')}; build provenance needs a GitHub Actions job's token`,
    );
  }
  return { serverUrl: serverUrl.replace(/\/+$/, ''), ...values } as GitHubWorkflowClaims;
}

/** `.github/workflows/x.yml` and its ref from `owner/repo/.github/workflows/x.yml@ref` (a ref may hold `@`). */
function workflowPathAndRef(claims: GitHubWorkflowClaims): { path: string; ref: string } {
  const rest = claims.workflowRef.slice(claims.repository.length + 1);
  const at = rest.indexOf('@');
  return at < 0 ? { path: rest, ref: '' } : { path: rest.slice(0, at), ref: rest.slice(at + 1) };
}

/** Certificate claims the provenance states: each must be certified, and equal. */
const STATED_CLAIMS = [
  'buildSignerURI',
  'runnerEnvironment',
  'sourceRepositoryURI',
  'sourceRepositoryDigest',
  'sourceRepositoryRef',
  'sourceRepositoryIdentifier',
  'sourceRepositoryOwnerIdentifier',
  'buildConfigURI',
  'buildTrigger',
  'runInvocationURI',
] as const satisfies readonly (keyof CertificateClaims)[];
type StatedClaim = (typeof STATED_CLAIMS)[number];

/** The values a provenance and a Fulcio certificate share, named by the certificate's claim. */
function certifiable(claims: GitHubWorkflowClaims): Record<StatedClaim, string> {
  const server = claims.serverUrl;
  const repoUrl = `${server}/${claims.repository}`;
  return {
    buildSignerURI: `${server}/${claims.jobWorkflowRef}`,
    runnerEnvironment: claims.runnerEnvironment,
    sourceRepositoryURI: repoUrl,
    sourceRepositoryDigest: claims.sha,
    sourceRepositoryRef: claims.ref,
    sourceRepositoryIdentifier: claims.repositoryId,
    sourceRepositoryOwnerIdentifier: claims.repositoryOwnerId,
    buildConfigURI: `${server}/${claims.workflowRef}`,
    buildTrigger: claims.eventName,
    runInvocationURI: `${repoUrl}/actions/runs/${claims.runId}/attempts/${claims.runAttempt}`,
  };
}

/**
 * The claims Fulcio will certify for a job with these token claims: what a step is decided with
 * before its certificate exists, so a policy rule on a claim judges the step as verify-chain will
 * judge its record. The signing edge refuses a certificate that certifies anything else.
 */
export function expectedCertificateClaims(claims: GitHubWorkflowClaims): CertificateClaims {
  return { ...certifiable(claims) };
}

/**
 * What differs between the claims a provenance was built from and what Fulcio certified: a claim
 * the certificate lacks counts (fail closed), so only a certificate for exactly this job passes.
 */
export function certifiedClaimProblems(
  claims: GitHubWorkflowClaims,
  certified: CertificateClaims,
): string[] {
  const expected = certifiable(claims);
  return STATED_CLAIMS.flatMap((name) => {
    const got = certified[name];
    if (got === expected[name]) return [];
    return [
      got === undefined
        ? `the certificate has no ${name}`
        : `${name} is certified as ${got}, the provenance says ${expected[name]}`,
    ];
  });
}

/** What differs between the token's claims and the run the chain is bound to. */
export function claimsRunProblems(claims: GitHubWorkflowClaims, run: RunBinding): string[] {
  const pairs: [string, string, string][] = [
    ['repository', claims.repository, run.repository],
    ['sha', claims.sha, run.commit],
    ['run_id', claims.runId, run.runId],
    ['run_attempt', claims.runAttempt, String(run.runAttempt)],
    ['workflow_ref', claims.workflowRef, run.workflowRef],
  ];
  return pairs
    .filter(([, token, bound]) => token !== bound)
    .map(([name, token, bound]) => `the token's ${name} is ${token}, the run's is ${bound}`);
}

function provenanceStatement(
  subjects: readonly ResourceDescriptor[],
  predicate: Record<string, unknown>,
): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: SLSA_PROVENANCE_V1,
    predicate,
  };
}

/** SLSA Provenance v1 with GitHub's workflow build type, from the job's (certified) claims. */
export function githubProvenance(
  subjects: readonly ResourceDescriptor[],
  claims: GitHubWorkflowClaims,
): Statement {
  const c = certifiable(claims);
  const workflow = workflowPathAndRef(claims);
  return provenanceStatement(subjects, {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: workflow.ref, repository: c.sourceRepositoryURI, path: workflow.path },
      },
      internalParameters: {
        github: {
          event_name: claims.eventName,
          repository_id: claims.repositoryId,
          repository_owner_id: claims.repositoryOwnerId,
          runner_environment: claims.runnerEnvironment,
        },
      },
      resolvedDependencies: [
        {
          uri: `git+${c.sourceRepositoryURI}@${claims.ref}`,
          digest: { gitCommit: claims.sha },
        },
      ],
    },
    runDetails: {
      builder: { id: c.buildSignerURI },
      metadata: { invocationId: c.runInvocationURI },
    },
  });
}

/** A build outside GitHub Actions, described by what the caller observed (nothing is certified). */
export interface LocalBuild {
  /** Who built: a URI naming the tool and host, e.g. `https://sathos.dev/cli@0.1.0#host`. */
  readonly builderId: string;
  /** The source the build used: a repository URI (`git+https://…`, `git+file:///…`) and the commit. */
  readonly source: { readonly uri: string; readonly commit: string };
  /** The command that built, when known. */
  readonly command?: string;
  readonly startedOn?: Date;
  readonly finishedOn?: Date;
}

/** SLSA Provenance v1 with SATHOS's local build type: says plainly that no platform vouches for it. */
export function localProvenance(
  subjects: readonly ResourceDescriptor[],
  build: LocalBuild,
): Statement {
  if (!URL.canParse(build.builderId) || !URL.canParse(build.source.uri)) {
    throw new SathosError('USAGE', 'a local provenance names its builder and source by URI');
  }
  if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(build.source.commit)) {
    throw new SathosError('USAGE', `the source commit ${build.source.commit} is not a commit id`);
  }
  const times = {
    ...(build.startedOn === undefined ? {} : { startedOn: build.startedOn.toISOString() }),
    ...(build.finishedOn === undefined ? {} : { finishedOn: build.finishedOn.toISOString() }),
  };
  return provenanceStatement(subjects, {
    buildDefinition: {
      buildType: LOCAL_BUILD_TYPE,
      externalParameters: {
        source: build.source.uri,
        ...(build.command === undefined ? {} : { command: build.command }),
      },
      internalParameters: { platform: 'none: no build platform vouches for this build' },
      resolvedDependencies: [{ uri: build.source.uri, digest: { gitCommit: build.source.commit } }],
    },
    runDetails: {
      builder: { id: build.builderId },
      ...(Object.keys(times).length === 0 ? {} : { metadata: times }),
    },
  });
}
