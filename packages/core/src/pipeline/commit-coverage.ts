// Which commits a source step must cover. The run builds one commit (the head, or GitHub's test
// merge of it); whatever the range said, the head is verified, and the commit the source record
// names must be that head or its test merge — else the record would vouch for an unchecked commit.
import { SathosError } from '../errors.js';
import type { GitObjects } from '../identity/commits/git/objects.js';
import { parseCommit } from '../identity/commits/git/commit-object.js';
import type { CommitsVerification } from '../identity/commits/types.js';
import { verifyCommits } from '../identity/commits/verify-commits.js';

type VerifyCommitsInput = Parameters<typeof verifyCommits>[0];

export interface CoveredCommits {
  readonly result: CommitsVerification;
  /** The full id of the head the run builds from. */
  readonly headId: string;
  /** Said when the head lay outside the range and was verified on its own. */
  readonly note?: string;
}

async function resolveHead(git: GitObjects, head: string): Promise<string> {
  const [headId] = await git.resolveCommits([head]);
  if (headId === undefined) {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `commit ${head} is not in the repository; check out with fetch-depth: 0`,
    );
  }
  return headId;
}

/** Verifies the range and, when the range did not include it (empty, or head outside it), the head. */
export async function verifyCommitsWithHead(
  input: VerifyCommitsInput,
  head: string,
): Promise<CoveredCommits> {
  const headId = await resolveHead(input.git, head);
  const result = await verifyCommits(input);
  if (result.commits.some((v) => v.commit === headId)) return { result, headId };
  const alone = await verifyCommits({ ...input, range: { kind: 'list', commits: [headId] } });
  const commits = [...result.commits, ...alone.commits];
  return {
    headId,
    note: `${result.reason}; the run builds ${headId.slice(0, 12)}, so it was verified as well`,
    result: {
      commits,
      verified: commits.length > 0 && commits.every((v) => v.verdict === 'verified'),
      emptyRange: false,
      reason: result.emptyRange ? alone.reason : `${result.reason}; ${alone.reason}`,
    },
  };
}

/**
 * The commit the run builds must be the verified head, or — on a pull request — GitHub's test merge
 * of it: a two-parent merge whose second parent is the head (its first is the base branch, already
 * protected). Anything else would vouch for an unchecked commit.
 */
export async function assertRunCommitCovered(
  git: GitObjects,
  runCommit: string,
  headId: string,
): Promise<void> {
  if (runCommit === headId) return;
  const [raw] = await git.readCommits([runCommit]).catch((cause: unknown) => {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `the run builds ${runCommit}, which is not in the repository; check out with fetch-depth: 0`,
      { cause },
    );
  });
  const parents = raw === undefined ? [] : parseCommit(raw.id, raw.raw).parents;
  if (parents.length !== 2 || parents[1] !== headId) {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `the run builds ${runCommit}, which is neither the verified head ${headId} nor GitHub's merge of it; verify the commit the run builds`,
    );
  }
}
