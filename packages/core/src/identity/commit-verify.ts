// verifyCommits: every commit of a range must carry a signature that verifies over its exact content
// from a signer the CommitPolicy allows — and, when it touches protected paths, that those paths'
// stricter signer sets allow too. Merges and GitHub web-flow commits pass only when the policy says so.
import { SathosError, describeCause, isSathosError } from '../errors.js';
import type { CommitPolicy } from './commit-policy.js';
import { assertRangeComplete, resolveCommitRange } from './commit-range.js';
import { checkCommitSignature, signatureFormat } from './commit-signature.js';
import {
  compileCommitPolicy,
  type CompiledCommitPolicy,
  type SignerSet,
} from './commit-signers.js';
import type { CommitRange, CommitsVerification, CommitVerdict } from './commit-verification.js';
import { parseCommit, type GitCommit } from './git-commit.js';
import type { GitObjects } from './git-objects.js';
import type { Trust } from './trusted-root.js';

/** Commits read from git per `cat-file --batch` call (bounds memory at BATCH × MAX_COMMIT_BYTES). */
export const COMMIT_BATCH = 256;

/** GitHub's web-flow committer: commits made or merged in GitHub's web UI. */
export const WEB_FLOW_COMMITTER = { name: 'GitHub', email: 'noreply@github.com' } as const;

export function isWebFlowCommit(commit: GitCommit): boolean {
  return (
    commit.committer.name === WEB_FLOW_COMMITTER.name &&
    commit.committer.email === WEB_FLOW_COMMITTER.email
  );
}

function reasonOf(error: unknown): string {
  return isSathosError(error) ? error.line : `unexpected error: ${describeCause(error)}`;
}

async function judge(
  commit: GitCommit,
  paths: readonly string[],
  policy: CompiledCommitPolicy,
  trust: Trust | undefined,
): Promise<CommitVerdict> {
  const touched = policy.protectedPaths.filter((p) => paths.some((path) => p.matches(path)));
  const format = signatureFormat(commit.signature);
  const base = {
    commit: commit.id,
    format: format === 'unknown' ? ('none' as const) : format,
    ...(touched.length === 0 ? {} : { protectedPaths: touched.flatMap((p) => p.paths) }),
  };
  const reject = (reason: string): CommitVerdict => ({ ...base, verdict: 'rejected', reason });
  if (commit.parents.length > 1 && !policy.allowMergeCommits) {
    return reject(
      'merge commit; the policy allows merge commits only with allowMergeCommits: true',
    );
  }
  if (isWebFlowCommit(commit) && !policy.allowWebFlow) {
    return reject(
      "committed by GitHub's web flow (a change made in GitHub's web UI); the policy allows these only with allowWebFlow: true",
    );
  }
  const sets: SignerSet[] = [policy.signers, ...touched];
  try {
    const { signer, key } = await checkCommitSignature(commit, sets, trust);
    const where =
      touched.length === 0 ? '' : ` (protected paths: ${touched.map((t) => t.name).join(', ')})`;
    return {
      ...base,
      verdict: 'verified',
      signer,
      key,
      reason: `signed by ${signer}, allowed by the policy${where}`,
    };
  } catch (error) {
    return reject(reasonOf(error));
  }
}

async function readAll(git: GitObjects, ids: readonly string[]): Promise<GitCommit[]> {
  const out: GitCommit[] = [];
  for (let i = 0; i < ids.length; i += COMMIT_BATCH) {
    const raw = await git.readCommits(ids.slice(i, i + COMMIT_BATCH));
    for (const r of raw) out.push(parseCommit(r.id, r.raw));
  }
  return out;
}

function summary(verdicts: readonly CommitVerdict[], description: string): string {
  const rejected = verdicts.filter((v) => v.verdict === 'rejected');
  if (rejected.length === 0) return `all ${verdicts.length} commit(s) verified (${description})`;
  const named = rejected
    .slice(0, 5)
    .map((v) => `${v.commit.slice(0, 12)}: ${v.reason}`)
    .join('; ');
  const more = rejected.length > 5 ? `; and ${rejected.length - 5} more` : '';
  return `${rejected.length} of ${verdicts.length} commit(s) rejected (${description}): ${named}${more}`;
}

/**
 * Verifies every commit of `range` against `policy`. Throws (SathosError) only when the range or the
 * policy cannot be used; each commit's failure is a `rejected` verdict with its reason. `trust`
 * anchors x509 (gitsign) signatures — Fulcio CAs, timestamp authorities, Rekor — and defaults to
 * the embedded Sigstore public-good root.
 */
export async function verifyCommits(input: {
  readonly git: GitObjects;
  readonly range: CommitRange;
  readonly policy: CommitPolicy;
  readonly trust?: Trust;
}): Promise<CommitsVerification> {
  const policy = await compileCommitPolicy(input.policy);
  const resolved = await resolveCommitRange(input.git, input.range);
  const { ids, description } = resolved;
  if (ids.length === 0) {
    return {
      commits: [],
      verified: false,
      emptyRange: true,
      reason: `${description} holds no commits: nothing was verified`,
    };
  }
  const commits = await readAll(input.git, ids);
  assertRangeComplete(resolved, commits);
  const paths =
    policy.protectedPaths.length === 0
      ? new Map<string, string[]>()
      : await input.git.changedPaths(ids);
  const verdicts: CommitVerdict[] = [];
  for (const commit of commits)
    verdicts.push(await judge(commit, paths.get(commit.id) ?? [], policy, input.trust));
  if (verdicts.length !== ids.length)
    throw new SathosError('GIT_FAILED', 'git returned a different number of commits than asked');
  return {
    commits: verdicts,
    verified: verdicts.every((v) => v.verdict === 'verified'),
    emptyRange: false,
    reason: summary(verdicts, description),
  };
}
