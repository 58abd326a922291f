// The stand-ins refuse what real services refuse, and canonicalise dsse entries as Rekor does.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSigstoreStandIn, type SigstoreStandIn } from './sigstore-stand-in.js';
import { canonicalRekorEntry } from './stand-in-rekor.js';
import { MAX_BODY_BYTES } from './stand-in-http.js';
import { createOidcIssuer, subjectAlternativeName } from './stand-in-oidc.js';

void describe('Sigstore stand-ins', () => {
  let standIn: SigstoreStandIn;
  before(async () => {
    standIn = await startSigstoreStandIn();
  });
  after(async () => {
    await standIn.close();
  });

  void describe('when asked for something they do not serve', () => {
    void it('answers 404 for unknown paths and 405 for GET', async () => {
      assert.equal((await fetch(`${standIn.fulcioURL}/nope`, { method: 'POST' })).status, 404);
      assert.equal((await fetch(`${standIn.rekorURL}/api/v1/log/entries`)).status, 405);
    });

    void it('answers 413 for an oversized body', async () => {
      const body = 'x'.repeat(MAX_BODY_BYTES + 1);
      assert.equal(
        (await fetch(`${standIn.tsaURL}/api/v1/timestamp`, { method: 'POST', body })).status,
        413,
      );
    });

    void it('answers 401 to a signing-certificate request without a token', async () => {
      const response = await fetch(`${standIn.fulcioURL}/api/v2/signingCert`, {
        method: 'POST',
        body: '{}',
      });
      assert.equal(response.status, 401);
    });
  });

  void it('publishes a trusted root naming its own URLs', () => {
    const root = standIn.trustedRoot as {
      tlogs: { baseUrl: string }[];
      timestampAuthorities: { uri: string }[];
    };
    assert.equal(root.tlogs[0]?.baseUrl, standIn.rekorURL);
    assert.equal(root.timestampAuthorities[0]?.uri, standIn.tsaURL);
  });
});

void describe('OIDC tokens', () => {
  const issuer = createOidcIssuer();

  void it('accepts its own tokens and refuses altered or foreign ones', () => {
    const token = issuer.issueToken({ sub: 'someone' });
    assert.ok('claims' in issuer.check(token));
    const [header = '', , signature = ''] = token.split('.');
    const altered = `${header}.${Buffer.from('{"sub":"admin","aud":"sigstore"}').toString('base64url')}.${signature}`;
    assert.deepEqual(issuer.check(altered), {
      reason: 'signature is not from the stand-in issuer',
    });
    assert.ok('reason' in issuer.check(createOidcIssuer().issueToken({ sub: 'someone' })));
    assert.ok('reason' in issuer.check(issuer.issueToken({ sub: 'someone', aud: 'other' })));
  });

  void it('derives the SAN as Fulcio does', () => {
    const github = {
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:o/r',
      job_workflow_ref: 'o/r/.github/workflows/a.yml@refs/heads/main',
    };
    assert.equal(
      subjectAlternativeName(github),
      'https://github.com/o/r/.github/workflows/a.yml@refs/heads/main',
    );
    assert.equal(
      subjectAlternativeName({ iss: 'https://idp', sub: 'x', email: 'a@b', email_verified: true }),
      'a@b',
    );
    assert.equal(subjectAlternativeName({ iss: 'https://idp', sub: 'x', email: 'a@b' }), undefined);
  });
});

void describe('canonicalRekorEntry', () => {
  void it('turns a proposed dsse entry into hashes and signatures', () => {
    const envelope = JSON.stringify({
      payloadType: 't',
      payload: Buffer.from('hello').toString('base64'),
      signatures: [{ sig: 'c2ln', keyid: '' }],
    });
    const entry = canonicalRekorEntry({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: { proposedContent: { envelope, verifiers: ['a2V5'] } },
    });
    assert.deepEqual(entry, {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: {
          algorithm: 'sha256',
          value: createHash('sha256').update(envelope).digest('hex'),
        },
        payloadHash: {
          algorithm: 'sha256',
          value: createHash('sha256').update('hello').digest('hex'),
        },
        signatures: [{ signature: 'c2ln', verifier: 'a2V5' }],
      },
    });
  });

  void it('leaves other entry kinds alone', () => {
    const intoto = { apiVersion: '0.0.2', kind: 'intoto', spec: {} };
    assert.equal(canonicalRekorEntry(intoto), intoto);
  });
});
