// Keyless signing of the source record: the job's OIDC token (from a loopback token endpoint, as
// ACTIONS_ID_TOKEN_REQUEST_URL) buys a Fulcio certificate from the Sigstore stand-ins.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createBundleVerifier, parseChainText, trustFromJSON, verifyChain } from '@sathos/core';
import { recordingIO } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { githubActionsClaims, startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { run } from '../../../actions/verify-commit-signature/src/main.js';
import { ActionFixture, REPOSITORY } from './fixture.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const JOB_WORKFLOW = `${REPOSITORY}/.github/workflows/ci.yml@refs/heads/main`;

void describe('verify-commit-signature with keyless signing', () => {
  let fx: ActionFixture;
  let sigstore: SigstoreStandIn;
  let github: GitHubStandIn;
  before(async () => {
    fx = new ActionFixture();
    sigstore = await startSigstoreStandIn();
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      idTokenRequestToken: 'runner-request-token',
      issueIdToken: (aud) =>
        sigstore.issueToken({
          ...githubActionsClaims({
            repository: REPOSITORY,
            workflowPath: '.github/workflows/ci.yml',
            sha: fx.commits[2],
          }),
          aud,
        }),
    });
  });
  after(async () => {
    await Promise.all([sigstore.close(), github.close()]);
    fx.dispose();
  });

  void describe('when the job has id-token: write', () => {
    void it('signs the genesis with a certificate for the workflow, and the chain verifies', async () => {
      const chain = fx.chainPath('keyless');
      const io = recordingIO();
      const env = fx.env('push', fx.pushEvent(fx.commits[0], fx.commits[2]), fx.commits[2], {
        GITHUB_API_URL: github.apiUrl,
        ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
      });
      const signing = {
        kind: 'keyless' as const,
        fulcioURL: sigstore.fulcioURL,
        rekorURL: sigstore.rekorURL,
        tsaURL: sigstore.tsaURL,
      };
      await run(fx.inputs({ chain, signing }), { env, fetch, io });
      assert.deepEqual(io.failures, []);
      assert.ok(
        github.requests.some(
          (r) => r.startsWith('/oidc/token?') && r.endsWith('audience=sigstore'),
        ),
      );

      const checker = createBundleVerifier(trustFromJSON(sigstore.trustedRoot, 'stand-in'));
      const verified = verifyChain({
        lines: parseChainText(readFileSync(chain, 'utf8'), chain),
        checker,
        requirements: {
          stages: ['source'],
          identities: {
            source: [{ issuer: ISSUER, subject: `https://github.com/${JOB_WORKFLOW}` }],
          },
          requireTerminal: false,
        },
        artifacts: [],
      });
      // The record names the workflow and the claims its certificate certifies (verifyChain
      // checked each against the certificate), so a policy rule on a claim judges the genesis.
      const actor = verified.genesis.statement.predicate.actor;
      assert.equal(actor.kind, 'certificate');
      assert.equal(actor.issuer, ISSUER);
      assert.equal(actor.subject, `https://github.com/${JOB_WORKFLOW}`);
      assert.equal(actor.claims?.buildSignerURI, `https://github.com/${JOB_WORKFLOW}`);
      assert.equal(actor.claims.buildTrigger, 'push');
      assert.match(actor.claims.sourceRepositoryURI ?? '', /^https:\/\/github\.com\/[^/]+\/[^/]+$/);
      assert.equal(`sha256:${verified.genesis.digest}`, io.outputs.get('genesis-digest'));
    });
  });

  void describe('when the token endpoint refuses the request token', () => {
    void it('fails after verification with the endpoint status and appends nothing', async () => {
      const io = recordingIO();
      const chain = fx.chainPath('keyless-refused');
      const env = fx.env('push', fx.pushEvent(fx.commits[0], fx.commits[2]), fx.commits[2], {
        ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'stolen',
      });
      await run(
        fx.inputs({
          chain,
          signing: { kind: 'keyless', fulcioURL: sigstore.fulcioURL, tsaURL: sigstore.tsaURL },
        }),
        {
          env,
          fetch,
          io,
        },
      );
      assert.match(io.failures[0] ?? '', /OIDC endpoint answered 401/);
      assert.throws(() => readFileSync(chain), { code: 'ENOENT' });
    });
  });
});
