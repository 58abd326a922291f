// Bundles from our signers, checked by our own verifier (createBundleVerifier), not only sigstore-js.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  STATEMENT_TYPE,
  SathosError,
  createBundleVerifier,
  generateSigningKeyPair,
  keySigner,
  keylessSigner,
  parsePublicKeys,
  publicGoodTrust,
  signStatement,
  trustFromJSON,
  type SerializedBundle,
  type Statement,
} from '@sathos/core';
import { githubActionsClaims } from './github-claims.js';
import { startSigstoreStandIn, type SigstoreStandIn } from './sigstore-stand-in.js';

const DIGEST = { algorithm: 'sha256', hex: 'e'.repeat(64) } as const;
const statement: Statement = {
  _type: STATEMENT_TYPE,
  subject: [{ name: 'app.tgz', digest: { sha256: DIGEST.hex } }],
  predicateType: 'https://example.com/predicate/v1',
  predicate: { stage: 'test' },
};
const WORKFLOW_SAN =
  'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';
const artifact = { digests: [DIGEST] };

function forgedSubject(bundle: SerializedBundle): unknown {
  const copy = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
  const forged = { ...statement, subject: [{ name: 'evil', digest: { sha256: 'f'.repeat(64) } }] };
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(forged)).toString('base64');
  return copy;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SathosError, String(error));
    return error.code;
  }
  return 'OK';
}

void describe('our verifier on our signatures', () => {
  void describe('when signed with a key and no witness', () => {
    const pair = generateSigningKeyPair();
    const verifier = createBundleVerifier(publicGoodTrust(), {
      keys: parsePublicKeys(pair.publicKeyPem, 'key.pub'),
      allowUnloggedKeySignatures: true,
    });
    let bundle: SerializedBundle;
    before(async () => {
      bundle = await signStatement(statement, keySigner({ privateKeyPem: pair.privateKeyPem }));
    });

    void it('verifies and reports the same keyId the signer used', () => {
      const verified = verifier.verify(bundle, { artifact });
      assert.deepEqual(verified.signer, { kind: 'key', keyId: pair.keyId });
    });

    void it('rejects a forged payload', () => {
      assert.notEqual(
        codeOf(() => verifier.verify(forgedSubject(bundle))),
        'OK',
      );
    });

    // Another key's bundle names a key the verifier was not given: the signer is not trusted
    // (not "tampered content"), so the message can say which key would be needed.
    void it('rejects a bundle from another key as an untrusted signer', async () => {
      const other = await signStatement(
        statement,
        keySigner({ privateKeyPem: generateSigningKeyPair().privateKeyPem }),
      );
      assert.equal(
        codeOf(() => verifier.verify(other, { artifact })),
        'UNTRUSTED_SIGNER',
      );
    });
  });

  void describe('when signed keyless against the stand-ins', () => {
    let standIn: SigstoreStandIn;
    let bundle: SerializedBundle;
    before(async () => {
      standIn = await startSigstoreStandIn();
      const signer = keylessSigner({
        identityToken: standIn.issueToken(githubActionsClaims()),
        fulcioURL: standIn.fulcioURL,
        rekorURL: standIn.rekorURL,
        tsaURL: standIn.tsaURL,
        retries: 0,
      });
      bundle = await signStatement(statement, signer);
    });
    after(async () => {
      await standIn.close();
    });

    void it('verifies against the stand-ins trusted root with the workflow identity', () => {
      const verifier = createBundleVerifier(trustFromJSON(standIn.trustedRoot, 'stand-in root'));
      const verified = verifier.verify(bundle, {
        artifact,
        identity: { subject: WORKFLOW_SAN, issuer: 'https://token.actions.githubusercontent.com' },
      });
      assert.deepEqual(
        {
          kind: verified.signer.kind,
          subject: 'subject' in verified.signer ? verified.signer.subject : '',
        },
        { kind: 'certificate', subject: WORKFLOW_SAN },
      );
    });

    void it('rejects a forged payload, another identity, and the public-good root', () => {
      const verifier = createBundleVerifier(trustFromJSON(standIn.trustedRoot, 'stand-in root'));
      assert.notEqual(
        codeOf(() => verifier.verify(forgedSubject(bundle))),
        'OK',
      );
      assert.equal(
        codeOf(() =>
          verifier.verify(bundle, {
            identity: {
              subject: 'https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main',
            },
          }),
        ),
        'IDENTITY_MISMATCH',
      );
      assert.notEqual(
        codeOf(() => createBundleVerifier(publicGoodTrust()).verify(bundle, { artifact })),
        'OK',
      );
    });
  });
});
