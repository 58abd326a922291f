import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { listPullRequestCommits, REST_LIMITS } from './rest.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';

const commits = (n: number) =>
  Array.from({ length: n }, (_, i) => i.toString(16).padStart(40, '0').replace(/^0/, 'c'));

void describe('listing a pull request commits', () => {
  let github: GitHubStandIn;
  before(async () => {
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      pullRequests: {
        'octo-org/octo-repo#1': commits(3),
        'octo-org/octo-repo#2': commits(230),
        'octo-org/octo-repo#3': commits(300),
      },
    });
  });
  after(async () => {
    await github.close();
  });
  const api = () => ({ apiUrl: github.apiUrl, token: 'ghs_test', fetch });

  void describe('when the pull request is small', () => {
    void it('lists its commits oldest first in one request', async () => {
      const before = github.requests.length;
      assert.deepEqual(await listPullRequestCommits(api(), 'octo-org/octo-repo', 1), commits(3));
      assert.deepEqual(github.requests.slice(before), [
        '/repos/octo-org/octo-repo/pulls/1/commits?per_page=100&page=1',
      ]);
    });
  });

  void describe('when it spans pages', () => {
    void it('requests page after page by number', async () => {
      assert.deepEqual(await listPullRequestCommits(api(), 'octo-org/octo-repo', 2), commits(230));
    });
  });

  void describe('when it reaches the 250 commits GitHub lists', () => {
    void it('refuses rather than verify part of it', async () => {
      await assert.rejects(listPullRequestCommits(api(), 'octo-org/octo-repo', 3), {
        code: 'USAGE',
        message: `pull request #3 has ${REST_LIMITS.maxPullRequestCommits} or more commits, more than GitHub lists; give the range input (base..head) instead`,
      });
    });
  });

  void describe('when the token is refused or the pull request is unknown', () => {
    void it('names the permission to grant', async () => {
      await assert.rejects(
        listPullRequestCommits({ ...api(), token: 'wrong' }, 'octo-org/octo-repo', 1),
        {
          code: 'USAGE',
          message:
            /answered 401; check github-token and that the job grants `permissions: pull-requests: read`/,
        },
      );
      await assert.rejects(listPullRequestCommits(api(), 'octo-org/octo-repo', 9), {
        code: 'USAGE',
        message: /answered 404/,
      });
    });
  });

  void describe('when the API answers something that is not a commit list', () => {
    void it('refuses a listed commit without a valid sha', async () => {
      const fake = (() => Promise.resolve(Response.json([{ sha: 'not-a-sha' }]))) as typeof fetch;
      await assert.rejects(listPullRequestCommits({ ...api(), fetch: fake }, 'o/r', 1), {
        code: 'USAGE',
        message: 'the GitHub API listed a commit without a valid sha',
      });
    });

    void it('refuses an object and a body that is not JSON', async () => {
      const object = (() => Promise.resolve(Response.json({ message: 'hi' }))) as typeof fetch;
      await assert.rejects(listPullRequestCommits({ ...api(), fetch: object }, 'o/r', 1), {
        message: /not answer with a list/,
      });
      const text = (() => Promise.resolve(new Response('<html>'))) as typeof fetch;
      await assert.rejects(listPullRequestCommits({ ...api(), fetch: text }, 'o/r', 1), {
        message: /not JSON/,
      });
    });

    void it('reports an unreachable API as a usage error', async () => {
      const down = (() => Promise.reject(new Error('ECONNREFUSED'))) as typeof fetch;
      await assert.rejects(listPullRequestCommits({ ...api(), fetch: down }, 'o/r', 1), {
        code: 'USAGE',
        message: /cannot reach the GitHub API/,
      });
    });
  });
});

void describe('when the API answers with an endless body and no length', () => {
  void it('stops reading at the limit and refuses (TOO_LARGE), instead of reading it all', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const fetchEndless = () => Promise.resolve(new Response(endless, { status: 200 }));
    await assert.rejects(
      listPullRequestCommits(
        { apiUrl: 'http://127.0.0.1:1', token: 't', fetch: fetchEndless },
        'octo-org/octo-repo',
        1,
      ),
      { code: 'TOO_LARGE' },
    );
    assert.ok(pulled * 64 * 1024 <= REST_LIMITS.maxResponseBytes + 2 * 64 * 1024);
  });
});
