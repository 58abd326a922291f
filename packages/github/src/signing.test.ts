import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  STATEMENT_TYPE,
  createBundleVerifier,
  generateSigningKeyPair,
  parsePublicKeys,
  publicGoodTrust,
  trustFromJSON,
  type Statement,
} from '@sathos/core';
import { githubActionsClaims, startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { jobSigner, preflightSigning } from './signing.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';

const statement: Statement = {
  _type: STATEMENT_TYPE,
  subject: [
    { name: 'git+https://github.com/octo-org/octo-repo', digest: { gitCommit: 'a'.repeat(40) } },
  ],
  predicateType: 'https://example.com/test/v1',
  predicate: {},
};
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';

void describe('signing for a job', () => {
  void describe('when signing with a key', () => {
    void it('claims the key as the actor, and the signature is by that key', async () => {
      const keys = generateSigningKeyPair();
      const signer = await jobSigner(
        { kind: 'key', privateKeyPem: keys.privateKeyPem },
        { env: {}, fetch, serverUrl: 'https://github.com' },
      );
      assert.equal(signer.actor.kind, 'key');
      const bundle = await signer.sign(statement);
      const verifier = createBundleVerifier(publicGoodTrust(), {
        keys: parsePublicKeys(keys.publicKeyPem, 'signing key'),
        allowUnloggedKeySignatures: true,
      });
      const verified = verifier.verify(bundle);
      assert.deepEqual(verified.signer, signer.actor);
    });
  });

  void describe('when signing keyless', () => {
    let sigstore: SigstoreStandIn;
    let github: GitHubStandIn;
    before(async () => {
      sigstore = await startSigstoreStandIn();
      github = await startGitHubStandIn({
        apiToken: 'x',
        idTokenRequestToken: 'request-token',
        issueIdToken: (aud) => sigstore.issueToken({ ...githubActionsClaims(), aud }),
      });
    });
    after(async () => {
      await Promise.all([sigstore.close(), github.close()]);
    });
    const env = () => ({
      ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
    });
    /** A GitHub stand-in whose tokens carry none of the GitHub Actions workflow claims. */
    const bareTokenStandIn = () =>
      startGitHubStandIn({
        apiToken: 'x',
        idTokenRequestToken: 'request-token',
        issueIdToken: (aud) =>
          sigstore.issueToken({ sub: 'repo:o/r', job_workflow_ref: WORKFLOW, aud }),
      });
    const keyless = () => ({
      kind: 'keyless' as const,
      fulcioURL: sigstore.fulcioURL,
      rekorURL: sigstore.rekorURL,
      tsaURL: sigstore.tsaURL,
    });

    void it('claims the workflow identity Fulcio certifies', async () => {
      const signer = await jobSigner(keyless(), {
        env: env(),
        fetch,
        serverUrl: 'https://github.com',
      });
      assert.equal(signer.actor.kind, 'certificate');
      assert.equal(signer.actor.issuer, 'https://token.actions.githubusercontent.com');
      assert.equal(signer.actor.subject, `https://github.com/${WORKFLOW}`);
      // The claims a policy decides the step with, before the certificate exists.
      assert.equal(
        signer.actor.claims?.sourceRepositoryURI,
        'https://github.com/octo-org/octo-repo',
      );
      assert.equal(signer.actor.claims.buildSignerURI, `https://github.com/${WORKFLOW}`);
      const bundle = await signer.sign(statement);
      const verifier = createBundleVerifier(trustFromJSON(sigstore.trustedRoot, 'stand-in'));
      const verified = verifier.verify(bundle, {
        identity: { subject: `https://github.com/${WORKFLOW}`, issuer: GITHUB_ISSUER },
      });
      assert.equal(verified.signer.kind, 'certificate');
      // Every claim the record carries is one the certificate certifies, value for value.
      const certified = verified.signer.claims as Readonly<Record<string, string | undefined>>;
      for (const [name, value] of Object.entries(signer.actor.claims)) {
        assert.equal(certified[name], value, name);
      }
    });

    void it('claims nothing beyond issuer and subject for a token without the workflow claims', async () => {
      const bare = await bareTokenStandIn();
      try {
        const signer = await jobSigner(keyless(), {
          env: { ...env(), ACTIONS_ID_TOKEN_REQUEST_URL: bare.idTokenRequestUrl },
          fetch,
          serverUrl: 'https://github.com',
        });
        assert.equal(signer.actor.kind, 'certificate');
        assert.equal(signer.actor.claims, undefined);
      } finally {
        await bare.close();
      }
    });

    void it('refuses a certificate for another identity than the one the record claims', async () => {
      const signer = await jobSigner(keyless(), {
        env: env(),
        fetch,
        serverUrl: 'https://ghe.example',
      });
      await assert.rejects(signer.sign(statement), {
        code: 'SIGNING_FAILED',
        message:
          /Fulcio certified https:\/\/github\.com\/.* not the job's https:\/\/ghe\.example\//,
      });
    });

    void it('with requireWorkflowClaims, carries the claims every certificate was checked to certify', async () => {
      const signer = await jobSigner(keyless(), {
        env: env(),
        fetch,
        serverUrl: 'https://github.com',
        requireWorkflowClaims: true,
      });
      assert.equal(signer.workflowClaims?.jobWorkflowRef, WORKFLOW);
      assert.equal(signer.workflowClaims.runnerEnvironment, 'github-hosted');
      await signer.sign(statement);
    });

    void it('with requireWorkflowClaims, refuses a token without the workflow claims', async () => {
      const bare = await bareTokenStandIn();
      try {
        await assert.rejects(
          jobSigner(keyless(), {
            env: { ...env(), ACTIONS_ID_TOKEN_REQUEST_URL: bare.idTokenRequestUrl },
            fetch,
            serverUrl: 'https://github.com',
            requireWorkflowClaims: true,
          }),
          { code: 'USAGE', message: /lacks the GitHub Actions claims repository, repository_id/ },
        );
      } finally {
        await bare.close();
      }
    });

    void it('fails the preflight naming id-token: write when the job has no token', () => {
      assert.throws(
        () => {
          preflightSigning(keyless(), {});
        },
        {
          code: 'USAGE',
          message: /`permissions: id-token: write`/,
        },
      );
      assert.doesNotThrow(() => {
        preflightSigning({ kind: 'key', privateKeyPem: '' }, {});
      });
    });
  });
});
