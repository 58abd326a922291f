import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ID_TOKEN_PERMISSION_MESSAGE,
  assertIdTokenAvailable,
  requestIdToken,
  unverifiedClaims,
} from './oidc.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';

const jwt = (claims: object) =>
  `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

void describe('the job OIDC token', () => {
  let github: GitHubStandIn;
  before(async () => {
    github = await startGitHubStandIn({
      apiToken: 'x',
      idTokenRequestToken: 'request-token',
      issueIdToken: (audience) => jwt({ aud: audience, sub: 'repo:o/r:ref:refs/heads/main' }),
    });
  });
  after(async () => {
    await github.close();
  });

  void describe('when the job has id-token: write', () => {
    void it('requests a token for the sigstore audience', async () => {
      const token = await requestIdToken({
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
        },
        fetch,
      });
      assert.equal(unverifiedClaims(token).aud, 'sigstore');
      assert.match(
        github.requests.at(-1) ?? '',
        /^\/oidc\/token\?api-version=2\.0&audience=sigstore$/,
      );
    });
  });

  void describe('when the job lacks the permission', () => {
    void it('names the missing permissions line before any request', async () => {
      assert.throws(
        () => {
          assertIdTokenAvailable({ ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl });
        },
        {
          code: 'USAGE',
          message: ID_TOKEN_PERMISSION_MESSAGE,
        },
      );
      await assert.rejects(requestIdToken({ env: {}, fetch }), {
        message: /add `permissions: id-token: write` to the job/,
      });
    });
  });

  void describe('when the endpoint refuses or answers nonsense', () => {
    void it('fails with the status, and refuses an answer without a token', async () => {
      await assert.rejects(
        requestIdToken({
          env: {
            ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'stolen',
          },
          fetch,
        }),
        { code: 'USAGE', message: /answered 401/ },
      );
      const empty = (() => Promise.resolve(Response.json({ value: 42 }))) as typeof fetch;
      await assert.rejects(
        requestIdToken({
          env: {
            ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/t',
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
          },
          fetch: empty,
        }),
        { message: /did not answer with a token/ },
      );
    });

    void it('refuses a token whose payload is not JSON', () => {
      assert.throws(() => unverifiedClaims('a.b.c'), { code: 'USAGE' });
    });
  });
});
