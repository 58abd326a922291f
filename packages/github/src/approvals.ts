// The approvals a deploy gate records (docs/gate.md): who approved this run's deployment to the
// environment (environment required reviewers), or who approved the pull request's head commit.
// Only facts the API states are kept — an approval of another environment, a rejected or pending
// review, an approval of an older commit or one withdrawn later are not approvals. Bounded:
// a bounded number of pages, each bounded by getJson.
// https://docs.github.com/en/rest/actions/workflow-runs#get-the-review-history-for-a-workflow-run
// https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request
import type { Approval } from '@sathos/core';
import { GITHUB_LOGIN, SathosError } from '@sathos/core';
import type { GitHubApi } from './rest.js';
import { REST_LIMITS, getJson } from './rest.js';

export const APPROVAL_LIMITS = {
  /** Review pages read (100 each); a pull request with more reviews is refused, not half-read. */
  maxReviewPages: 10,
  /** Entries of a run's review history. */
  maxRunReviews: 1000,
} as const;

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function loginOf(item: unknown): string | undefined {
  const login = (item as { user?: { login?: unknown } | null } | null)?.user?.login;
  return typeof login === 'string' && GITHUB_LOGIN.test(login) ? login : undefined;
}

function assertRepository(repository: string): void {
  if (!REPOSITORY.test(repository))
    throw new SathosError('USAGE', `"${repository}" is not an owner/name repository`);
}

function listOf(value: unknown, where: string, what: string): unknown[] {
  if (!Array.isArray(value))
    throw new SathosError('USAGE', `the GitHub API did not answer with a list of ${what}`, {
      where,
    });
  return value;
}

/** Environment reviewers who approved this run's deployment to `environment`. */
export async function environmentApprovals(
  api: GitHubApi,
  repository: string,
  runId: string,
  environment: string,
): Promise<Approval[]> {
  assertRepository(repository);
  if (!/^\d{1,20}$/.test(runId))
    throw new SathosError('USAGE', `run id "${runId}" is not a number`);
  const path = `/repos/${repository}/actions/runs/${runId}/approvals`;
  const history = listOf(await getJson(api, path, 'actions: read'), path, 'reviews');
  if (history.length > APPROVAL_LIMITS.maxRunReviews)
    throw new SathosError(
      'TOO_LARGE',
      `the run's review history has more than ${APPROVAL_LIMITS.maxRunReviews} entries`,
      { where: path },
    );
  const approvals: Approval[] = [];
  for (const item of history) {
    const entry = item as { state?: unknown; environments?: unknown } | null;
    const environments = Array.isArray(entry?.environments) ? entry.environments : [];
    const forThis = environments.some(
      (e: unknown) => (e as { name?: unknown } | null)?.name === environment,
    );
    const by = loginOf(item);
    if (entry?.state === 'approved' && forThis && by !== undefined)
      approvals.push({ by, source: 'environment-reviewers' });
  }
  return approvals;
}

interface Review {
  readonly by: string;
  readonly state: string;
  readonly commit: string | undefined;
  readonly at: string | undefined;
}

function reviewOf(item: unknown): Review | undefined {
  const r = item as { state?: unknown; commit_id?: unknown; submitted_at?: unknown } | null;
  const by = loginOf(item);
  if (by === undefined || typeof r?.state !== 'string') return undefined;
  return {
    by,
    state: r.state,
    commit: typeof r.commit_id === 'string' && COMMIT.test(r.commit_id) ? r.commit_id : undefined,
    at: typeof r.submitted_at === 'string' ? r.submitted_at : undefined,
  };
}

/** Every review of the pull request, oldest first, read page by page up to the bound. */
async function listReviews(api: GitHubApi, repository: string, number: number): Promise<Review[]> {
  const reviews: Review[] = [];
  for (let page = 1; ; page++) {
    if (page > APPROVAL_LIMITS.maxReviewPages)
      throw new SathosError(
        'TOO_LARGE',
        `pull request #${number} has more than ${APPROVAL_LIMITS.maxReviewPages * REST_LIMITS.perPage} reviews; approvals were not counted`,
      );
    const path = `/repos/${repository}/pulls/${number}/reviews?per_page=${REST_LIMITS.perPage}&page=${page}`;
    const items = listOf(await getJson(api, path, 'pull-requests: read'), path, 'reviews');
    for (const item of items) {
      const review = reviewOf(item);
      if (review !== undefined) reviews.push(review);
    }
    if (items.length < REST_LIMITS.perPage) return reviews;
  }
}

/**
 * Reviewers whose latest approving-or-blocking review approves `head`: a later request for
 * changes or a dismissal withdraws an approval (a comment does not), and an approval of an
 * earlier commit is stale — it did not see what will deploy.
 */
export async function pullRequestApprovals(
  api: GitHubApi,
  repository: string,
  number: number,
  head: string,
): Promise<Approval[]> {
  assertRepository(repository);
  if (!Number.isSafeInteger(number) || number < 1)
    throw new SathosError('USAGE', `pull request number ${number} is not a positive integer`);
  const latest = new Map<string, Review>();
  for (const review of await listReviews(api, repository, number)) {
    if (review.state === 'COMMENTED' || review.state === 'PENDING') continue;
    latest.set(review.by.toLowerCase(), review);
  }
  return [...latest.values()]
    .filter((r) => r.state === 'APPROVED' && r.commit === head)
    .map((r) => ({
      by: r.by,
      source: 'pull-request-reviews',
      ...(r.at === undefined ? {} : { at: r.at }),
    }));
}
