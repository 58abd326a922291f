import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readRunContext, runBinding } from './context.js';

const SHA = 'a'.repeat(40);
const env = {
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main',
  GITHUB_RUN_ID: '42',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_SHA: SHA,
  GITHUB_EVENT_NAME: 'push',
  GITHUB_EVENT_PATH: '/tmp/event.json',
  GITHUB_API_URL: 'http://127.0.0.1:1/',
};

void describe('the run context', () => {
  void describe('when the runner set every variable', () => {
    void it('reads the run binding, with public GitHub as the default server', () => {
      const context = readRunContext(env);
      assert.equal(context.serverUrl, 'https://github.com');
      assert.equal(context.apiUrl, 'http://127.0.0.1:1');
      assert.deepEqual(runBinding(context), {
        repository: 'octo-org/octo-repo',
        workflowRef: env.GITHUB_WORKFLOW_REF,
        runId: '42',
        runAttempt: 2,
        commit: SHA,
      });
    });
  });

  void describe('when variables are missing or malformed', () => {
    void it('names every one in a single usage error', () => {
      assert.throws(
        () =>
          readRunContext({
            ...env,
            GITHUB_RUN_ID: '',
            GITHUB_SHA: 'main',
            GITHUB_RUN_ATTEMPT: '0',
            GITHUB_REPOSITORY: 'x',
          }),
        {
          code: 'USAGE',
          message:
            "the runner's environment lacks GITHUB_REPOSITORY (not owner/name), GITHUB_SHA (not a commit id), GITHUB_RUN_ATTEMPT (not a positive integer), GITHUB_RUN_ID; run this inside a GitHub Actions job",
        },
      );
    });

    void it('refuses an API URL that is not http(s)', () => {
      assert.throws(() => readRunContext({ ...env, GITHUB_API_URL: 'file:///etc' }), {
        code: 'USAGE',
        message: /GITHUB_API_URL/,
      });
    });
  });
});
