// Keyless signing end to end on loopback: core's keylessSigner against the Fulcio/Rekor/TSA stand-ins,
// checked by sigstore-js itself against the stand-ins' trusted root.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  SathosError,
  STATEMENT_TYPE,
  keylessSigner,
  signStatement,
  type SerializedBundle,
  type Statement,
} from '@sathos/core';
import { githubActionsClaims } from './github-claims.js';
import { startSigstoreStandIn, type SigstoreStandIn } from './sigstore-stand-in.js';
import { verifyWithSigstoreJs } from './sigstore-verify.js';

const statement: Statement = {
  _type: STATEMENT_TYPE,
  subject: [{ name: 'app.tgz', digest: { sha256: 'c'.repeat(64) } }],
  predicateType: 'https://example.com/predicate/v1',
  predicate: { stage: 'build' },
};

const WORKFLOW_SAN =
  'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

function leafCertificate(bundle: SerializedBundle): X509Certificate {
  const raw = bundle.verificationMaterial.certificate?.rawBytes;
  assert.ok(raw !== undefined, 'the bundle carries a single certificate (v0.3)');
  return new X509Certificate(Buffer.from(raw, 'base64'));
}

function tamperSubject(bundle: SerializedBundle): unknown {
  const copy = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
  const decoded = JSON.parse(
    Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8'),
  ) as Statement;
  const forged = {
    ...decoded,
    subject: [{ name: 'evil.tgz', digest: { sha256: 'd'.repeat(64) } }],
  };
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(forged)).toString('base64');
  return copy;
}

void describe('keyless signing against the Sigstore stand-ins', () => {
  let standIn: SigstoreStandIn;
  before(async () => {
    standIn = await startSigstoreStandIn();
  });
  after(async () => {
    await standIn.close();
  });

  const signer = (
    witnesses: { rekor?: boolean; tsa?: boolean; entryType?: 'dsse' | 'intoto' },
    token?: string,
  ) =>
    keylessSigner({
      identityToken: token ?? standIn.issueToken(githubActionsClaims()),
      fulcioURL: standIn.fulcioURL,
      ...(witnesses.rekor === true
        ? { rekorURL: standIn.rekorURL, rekorEntryType: witnesses.entryType ?? 'dsse' }
        : {}),
      ...(witnesses.tsa === true ? { tsaURL: standIn.tsaURL } : {}),
      retries: 0,
      timeoutMs: 5000,
    });

  void describe('when Rekor (dsse entry) and the TSA both witness', () => {
    let bundle: SerializedBundle;
    before(async () => {
      bundle = await signStatement(statement, signer({ rekor: true, tsa: true }));
    });

    void it('is a v0.3 bundle with a Fulcio certificate for the token identity', () => {
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      const cert = leafCertificate(bundle);
      assert.equal(cert.subjectAltName, `URI:${WORKFLOW_SAN}`);
      assert.ok(
        cert.toLegacyObject().ext_key_usage?.includes('1.3.6.1.5.5.7.3.3'),
        'code signing EKU',
      );
    });

    void it('carries one Rekor entry and one RFC 3161 timestamp', () => {
      assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
      assert.equal(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind, 'dsse');
      assert.equal(
        bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length,
        1,
      );
    });

    void it('verifies with sigstore-js against the stand-ins trusted root, identity included', () => {
      const verified = verifyWithSigstoreJs(bundle, {
        trustedRoot: standIn.trustedRoot,
        thresholds: { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 2 },
        subjectAlternativeName: WORKFLOW_SAN,
        issuer: GITHUB_ISSUER,
      });
      assert.equal(verified.identity?.subjectAlternativeName, WORKFLOW_SAN);
    });

    void it('rejects a tampered payload', () => {
      assert.throws(
        () => verifyWithSigstoreJs(tamperSubject(bundle), { trustedRoot: standIn.trustedRoot }),
        {
          code: 'TLOG_BODY_ERROR',
        },
      );
    });

    void it('rejects another identity', () => {
      assert.throws(
        () =>
          verifyWithSigstoreJs(bundle, {
            trustedRoot: standIn.trustedRoot,
            subjectAlternativeName:
              'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main',
          }),
        { code: 'UNTRUSTED_SIGNER_ERROR' },
      );
    });

    void it('is rejected under a trusted root from other stand-ins', async () => {
      const other = await startSigstoreStandIn();
      try {
        assert.throws(() => verifyWithSigstoreJs(bundle, { trustedRoot: other.trustedRoot }), {
          name: 'VerificationError',
        });
      } finally {
        await other.close();
      }
    });
  });

  void describe('when only the TSA witnesses', () => {
    void it('verifies with a timestamp and no log entry', async () => {
      const bundle = await signStatement(statement, signer({ tsa: true }));
      const material = bundle.verificationMaterial;
      assert.ok(!('tlogEntries' in material) || material.tlogEntries.length === 0, 'no log entry');
      verifyWithSigstoreJs(bundle, {
        trustedRoot: standIn.trustedRoot,
        thresholds: { tlogThreshold: 0 },
      });
      const tampered = tamperSubject(bundle);
      assert.throws(
        () =>
          verifyWithSigstoreJs(tampered, {
            trustedRoot: standIn.trustedRoot,
            thresholds: { tlogThreshold: 0 },
          }),
        {
          code: 'SIGNATURE_ERROR',
        },
      );
    });
  });

  void describe('when only Rekor witnesses, with the legacy intoto entry', () => {
    void it('verifies with the log entry as the signing time', async () => {
      const bundle = await signStatement(statement, signer({ rekor: true, entryType: 'intoto' }));
      assert.equal(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind, 'intoto');
      verifyWithSigstoreJs(bundle, {
        trustedRoot: standIn.trustedRoot,
        thresholds: { timestampThreshold: 1 },
      });
    });
  });

  void describe('when the token is not one the stand-in issuer signed', () => {
    void it('gets no certificate: SIGNING_FAILED naming Fulcio', async () => {
      const other = await startSigstoreStandIn();
      try {
        const foreign = other.issueToken(githubActionsClaims());
        const before = standIn.requests.rekor;
        await assert.rejects(
          signStatement(statement, signer({ rekor: true }, foreign)),
          (error: unknown) => {
            assert.ok(error instanceof SathosError);
            assert.equal(error.code, 'SIGNING_FAILED');
            assert.match(error.message, /^Fulcio at .* issued no signing certificate \(\(401\)/);
            return true;
          },
        );
        assert.equal(standIn.requests.rekor, before, 'nothing was logged');
      } finally {
        await other.close();
      }
    });

    void it('rejects an expired token', async () => {
      const expired = standIn.issueToken(githubActionsClaims(), -10);
      await assert.rejects(signStatement(statement, signer({ tsa: true }, expired)), {
        code: 'SIGNING_FAILED',
        message: /expired/,
      });
    });
  });

  void describe('when the token comes from a function', () => {
    void it('asks for a fresh token per signature', async () => {
      let calls = 0;
      const fresh = keylessSigner({
        identityToken: () => {
          calls++;
          return Promise.resolve(standIn.issueToken(githubActionsClaims()));
        },
        fulcioURL: standIn.fulcioURL,
        tsaURL: standIn.tsaURL,
        retries: 0,
      });
      await signStatement(statement, fresh);
      await signStatement(statement, fresh);
      assert.equal(calls, 2);
    });
  });
});
