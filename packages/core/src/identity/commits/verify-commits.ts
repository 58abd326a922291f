// verifyCommits: every commit of a range must carry a signature that verifies over its exact content
// from a signer the CommitPolicy allows — and, when it touches protected paths, that those paths'
// stricter signer sets allow too. Merges and GitHub web-flow commits pass only when the policy says so.
import { SathosError, describeCause, isSathosError } from '../../errors.js';
import { ProtectedPathJudge } from './paths.js';
import type { CommitPolicy } from './signer-rules.js';
import { resolveCommitRange } from './range.js';
import { checkCommitSignature, signatureFormat } from './signature.js';
import {
  compileCommitPolicy,
  type CompiledCommitPolicy,
  type ProtectedSet,
  type SignerSet,
} from './signers.js';
import type { CommitRange, CommitsVerification, CommitVerdict } from './types.js';
import { commitLinks, MAX_COMMIT_BYTES, parseCommit, type GitCommit } from './git/commit-object.js';
import type { GitObjects, ObjectReader } from './git/objects.js';
import { TreeStore } from './git/tree.js';
import type { Trust } from '../trust/trusted-root.js';

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
  touched: readonly ProtectedSet[],
  policy: CompiledCommitPolicy,
  trust: Trust | undefined,
): Promise<CommitVerdict> {
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
    const { signer, key } = await checkCommitSignature(commit, sets, policy.keyTime(commit), trust);
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

/** Reads range commits batch by batch through one reader, judging each from its own bytes. */
class RangeJudge {
  /** Tree of each commit read so far (the range's commits are each other's parents). */
  private readonly trees = new Map<string, string>();
  private readonly paths: ProtectedPathJudge;

  constructor(
    private readonly reader: ObjectReader,
    private readonly policy: CompiledCommitPolicy,
    private readonly trust: Trust | undefined,
  ) {
    this.paths = new ProtectedPathJudge(new TreeStore(reader), policy.protectedPaths);
  }

  /** Judges `ids` in order; commits the range walk already read (hash-checked) are not read again. */
  async judgeAll(
    ids: readonly string[],
    known: ReadonlyMap<string, Buffer> = new Map(),
  ): Promise<CommitVerdict[]> {
    const verdicts: CommitVerdict[] = [];
    for (let i = 0; i < ids.length; i += COMMIT_BATCH) {
      const batch = ids.slice(i, i + COMMIT_BATCH);
      const unread = batch.filter((id) => !known.has(id));
      const raws = await this.reader.read(unread, 'commit', MAX_COMMIT_BYTES);
      const read = new Map(unread.map((id, j) => [id, raws[j]]));
      for (const id of batch) verdicts.push(await this.judgeOne(id, known.get(id) ?? read.get(id)));
    }
    return verdicts;
  }

  private async judgeOne(id: string, raw: Buffer | undefined): Promise<CommitVerdict> {
    if (raw === undefined) {
      throw new SathosError('RANGE_UNVERIFIABLE', 'git has no such object; fetch it first', {
        where: `commit ${id}`,
      });
    }
    let commit: GitCommit;
    try {
      commit = parseCommit(id, raw);
    } catch (error) {
      return { commit: id, verdict: 'rejected', format: 'none', reason: reasonOf(error) };
    }
    this.trees.set(id, commit.tree);
    const touched =
      this.policy.protectedPaths.length === 0
        ? []
        : await this.paths.touched({
            tree: commit.tree,
            parentTrees: await this.parentTrees(commit.parents),
          });
    return judge(commit, touched, this.policy, this.trust);
  }

  /** The parents' trees, hash-checked; a parent the repository lacks counts as empty (every path changed). */
  private async parentTrees(parents: readonly string[]): Promise<string[]> {
    const unknown = parents.filter((p) => !this.trees.has(p));
    const raws = await this.reader.read(unknown, 'commit', MAX_COMMIT_BYTES);
    unknown.forEach((id, i) => {
      const raw = raws[i];
      if (raw !== undefined) this.trees.set(id, commitLinks(id, raw).tree);
    });
    return parents.map((p) => this.trees.get(p) ?? EMPTY_TREE[p.length === 64 ? 1 : 0]);
  }
}

/** The empty tree's id (SHA-1, SHA-256): what a missing parent is diffed as. */
const EMPTY_TREE = [
  '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321',
] as const;

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
  /** The trusted verification time (when the source record is signed); keys are judged at it unless the policy says `committer`. */
  readonly now: Date;
}): Promise<CommitsVerification> {
  const policy = await compileCommitPolicy(input.policy, input.now);
  const reader = input.git.openReader();
  try {
    const { ids, description, raw } = await resolveCommitRange(input.git, reader, input.range);
    if (ids.length === 0) {
      return {
        commits: [],
        verified: false,
        emptyRange: true,
        reason: `${description} holds no commits: nothing was verified`,
      };
    }
    const verdicts = await new RangeJudge(reader, policy, input.trust).judgeAll(ids, raw);
    return {
      commits: verdicts,
      verified: verdicts.every((v) => v.verdict === 'verified'),
      emptyRange: false,
      reason: summary(verdicts, description),
    };
  } finally {
    await reader.close();
  }
}
