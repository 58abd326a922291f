// Approvals through the GitHub stand-in: only an approval the API states for this environment, or
// of the pull request's head by a reviewer who did not withdraw it, counts; pages are followed up
// to the bound and beyond it the list is refused, not half-read; a wrong token is an error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVAL_LIMITS, environmentApprovals, pullRequestApprovals } from './approvals.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const review = (login: string, state: string, commit = HEAD) => ({
  user: { login },
  state,
  commit_id: commit,
  submitted_at: '2026-06-02T09:00:00Z',
});
const runReview = (login: string, state: string, environment: string) => ({
  user: { login },
  state,
  comment: '',
  environments: [{ id: 1, name: environment }],
});

void describe('approvals through the GitHub API', () => {
  let github: GitHubStandIn;
  before(async () => {
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      runApprovals: {
        'acme/app#41': [
          runReview('alice', 'approved', 'production'),
          runReview('bob', 'rejected', 'production'),
          runReview('carol', 'approved', 'staging'),
          {
            user: { login: 'not a login' },
            state: 'approved',
            environments: [{ name: 'production' }],
          },
        ],
      },
      pullReviews: {
        'acme/app#7': [
          review('alice', 'APPROVED'),
          review('bob', 'APPROVED'),
          review('bob', 'CHANGES_REQUESTED'),
          review('carol', 'APPROVED', OLD),
          review('dave', 'APPROVED'),
          review('dave', 'COMMENTED'),
          review('erin', 'APPROVED'),
          review('erin', 'DISMISSED'),
        ],
        'acme/app#8': [
          ...Array.from({ length: 150 }, (_, i) => review(`u${i}`, 'COMMENTED')),
          review('frank', 'APPROVED'),
        ],
        'acme/app#9': Array.from({ length: APPROVAL_LIMITS.maxReviewPages * 100 + 1 }, (_, i) =>
          review(`u${i}`, 'APPROVED'),
        ),
      },
    });
  });
  after(async () => {
    await github.close();
  });
  const api = (token = 'ghs_test') => ({ apiUrl: github.apiUrl, token, fetch });

  void it('counts only environment reviewers who approved this environment', async () => {
    const found = await environmentApprovals(api(), 'acme/app', '41', 'production');
    assert.deepEqual(found, [{ by: 'alice', source: 'environment-reviewers' }]);
    assert.deepEqual(await environmentApprovals(api(), 'acme/app', '41', 'qa'), []);
  });

  void it("counts a reviewer's latest approval of the head; withdrawn and stale ones do not count", async () => {
    const found = await pullRequestApprovals(api(), 'acme/app', 7, HEAD);
    assert.deepEqual(
      found.map((a) => a.by),
      ['alice', 'dave'],
    );
    assert.equal(found[0]?.source, 'pull-request-reviews');
  });

  void it('reads every page', async () => {
    const before = github.requests.length;
    const found = await pullRequestApprovals(api(), 'acme/app', 8, HEAD);
    assert.deepEqual(
      found.map((a) => a.by),
      ['frank'],
    );
    assert.equal(github.requests.length - before, 2);
  });

  void it('refuses a review list past the bound instead of counting part of it', async () => {
    await assert.rejects(pullRequestApprovals(api(), 'acme/app', 9, HEAD), { code: 'TOO_LARGE' });
  });

  void it('fails on a token the API refuses, and on malformed names, before counting anything', async () => {
    await assert.rejects(environmentApprovals(api('wrong'), 'acme/app', '41', 'production'), {
      code: 'USAGE',
      message: /401.*permissions: actions: read/,
    });
    await assert.rejects(environmentApprovals(api(), 'acme/app/../x', '41', 'production'), {
      code: 'USAGE',
    });
    await assert.rejects(environmentApprovals(api(), 'acme/app', '41?x=1', 'production'), {
      code: 'USAGE',
    });
  });
});
