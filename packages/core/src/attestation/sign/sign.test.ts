import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:net';
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { SathosError } from '../../errors.js';
import { generateSigningKeyPair, loadSigningKey } from '../../identity/keys/signing-key.js';
import { STATEMENT_TYPE, type Statement } from '../record/statement.js';
import { keySigner, keySignerFromKey, keylessSigner, signStatement } from './sign.js';

const statement: Statement = {
  _type: STATEMENT_TYPE,
  subject: [{ name: 'app.tgz', digest: { sha256: 'a'.repeat(64) } }],
  predicateType: 'https://example.com/predicate/v1',
  predicate: { stage: 'build' },
};

const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

// sigstore-js itself, with the key as the only trust: the reference our bundles must satisfy.
function verifyWithKey(json: unknown, keys: Record<string, string>): void {
  const material = toTrustMaterial(TrustedRoot.fromJSON(EMPTY_ROOT), (hint) => {
    const pem = keys[hint];
    if (pem === undefined) throw new Error(`unknown key ${hint}`);
    return { publicKey: createPublicKey(pem), validFor: () => true };
  });
  const verifier = new Verifier(material, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  verifier.verify(toSignedEntity(bundleFromJSON(json)));
}

function withPayload(
  bundle: SerializedBundle,
  edit: (statement: Record<string, unknown>) => void,
): unknown {
  const copy = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
  const decoded = JSON.parse(
    Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8'),
  ) as Record<string, unknown>;
  edit(decoded);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(decoded)).toString('base64');
  return copy;
}

async function closedLoopbackURL(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return `http://127.0.0.1:${address.port}`;
}

async function rejectsWith(code: string, promise: Promise<unknown>): Promise<SathosError> {
  let thrown: unknown;
  await assert.rejects(
    promise.catch((error: unknown) => {
      thrown = error;
      throw error;
    }),
  );
  assert.ok(thrown instanceof SathosError, `expected a SathosError, got ${String(thrown)}`);
  assert.equal(thrown.code, code);
  return thrown;
}

void describe('signStatement', () => {
  void describe('when signing with a key', () => {
    const pair = generateSigningKeyPair();
    const keys = { [pair.keyId]: pair.publicKeyPem };
    let bundle: SerializedBundle;

    before(async () => {
      bundle = await signStatement(statement, keySigner({ privateKeyPem: pair.privateKeyPem }));
    });

    void it('produces a v0.3 DSSE bundle over the in-toto statement', () => {
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.ok(bundle.dsseEnvelope);
      assert.equal(bundle.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
      const payload = JSON.parse(
        Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'),
      ) as unknown;
      assert.deepEqual(payload, statement);
    });

    void it('names the key by its keyId, with no witnesses (air-gapped)', () => {
      assert.deepEqual(bundle.verificationMaterial.publicKey, { hint: pair.keyId });
      assert.equal(bundle.dsseEnvelope?.signatures[0]?.keyid, pair.keyId);
      const material = bundle.verificationMaterial;
      // bundleToJSON leaves empty lists out, whatever its type says: look for any entry.
      const witnessed = JSON.stringify([material.tlogEntries, material.timestampVerificationData]);
      assert.doesNotMatch(witnessed, /logIndex|signedTimestamp/);
    });

    void it('verifies with sigstore-js given the public key', () => {
      verifyWithKey(bundle, keys);
    });

    void it('rejects a tampered payload', () => {
      const tampered = withPayload(bundle, (s) => {
        s.subject = [{ name: 'app.tgz', digest: { sha256: 'b'.repeat(64) } }];
      });
      assert.throws(
        () => {
          verifyWithKey(tampered, keys);
        },
        { code: 'SIGNATURE_ERROR' },
      );
    });

    void it('rejects a signature checked against another key', () => {
      const other = generateSigningKeyPair();
      assert.throws(
        () => {
          verifyWithKey(bundle, { [pair.keyId]: other.publicKeyPem });
        },
        { code: 'SIGNATURE_ERROR' },
      );
    });

    void it('signs many statements quickly with one loaded key', async () => {
      const signer = keySignerFromKey(loadSigningKey(pair.privateKeyPem));
      const bundles = await Promise.all(
        Array.from({ length: 50 }, () => signStatement(statement, signer)),
      );
      for (const b of bundles) verifyWithKey(b, keys);
    });
  });

  void describe('when the statement is malformed', () => {
    void it('refuses to sign it (MALFORMED_STATEMENT)', async () => {
      const signer = keySigner({ privateKeyPem: generateSigningKeyPair().privateKeyPem });
      const bad = { ...statement, subject: [] } as Statement;
      await rejectsWith('MALFORMED_STATEMENT', signStatement(bad, signer));
    });
  });

  void describe('when a witness cannot be reached', () => {
    void it('fails with SIGNING_FAILED naming the TSA URL, without hanging', async () => {
      const tsaURL = await closedLoopbackURL();
      const signer = keySigner({
        privateKeyPem: generateSigningKeyPair().privateKeyPem,
        tsaURL,
        retries: 0,
        timeoutMs: 2000,
      });
      const error = await rejectsWith('SIGNING_FAILED', signStatement(statement, signer));
      assert.ok(error.message.includes(tsaURL), error.message);
      assert.match(error.message, /ECONNREFUSED/);
    });

    void it('fails with SIGNING_FAILED naming the Fulcio URL for keyless signing', async () => {
      const fulcioURL = await closedLoopbackURL();
      const signer = keylessSigner({
        identityToken: 'e30.eyJzdWIiOiJ4In0.c2ln',
        fulcioURL,
        tsaURL: fulcioURL,
        retries: 0,
        timeoutMs: 2000,
      });
      const error = await rejectsWith('SIGNING_FAILED', signStatement(statement, signer));
      assert.match(
        error.message,
        /^Fulcio at http:\/\/127\.0\.0\.1:\d+ issued no signing certificate/,
      );
    });
  });

  void describe('when the keyless configuration is unusable', () => {
    void it('refuses keyless signing without a witness', () => {
      assert.throws(() => keylessSigner({ identityToken: 'x', fulcioURL: 'http://127.0.0.1:1' }), {
        code: 'USAGE',
        message: /needs a witness/,
      });
    });

    void it('refuses a Fulcio URL that is not http(s)', () => {
      assert.throws(
        () =>
          keylessSigner({
            identityToken: 'x',
            fulcioURL: 'file:///etc/passwd',
            tsaURL: 'http://127.0.0.1:1',
          }),
        {
          code: 'USAGE',
        },
      );
    });

    void it('does not put a malformed token into the error message', async () => {
      const secret = 'not-a-jwt-secret-value';
      const signer = keylessSigner({
        identityToken: secret,
        fulcioURL: 'http://127.0.0.1:1',
        tsaURL: 'http://127.0.0.1:1',
        retries: 0,
      });
      const error = await rejectsWith('SIGNING_FAILED', signStatement(statement, signer));
      assert.ok(!error.message.includes(secret));
      assert.ok(!String((error.cause as Error | undefined)?.message).includes(secret));
    });

    void it('reports a failing token source as SIGNING_FAILED', async () => {
      const signer = keylessSigner({
        identityToken: () => Promise.reject(new Error('ACTIONS_ID_TOKEN_REQUEST_URL is not set')),
        fulcioURL: 'http://127.0.0.1:1',
        tsaURL: 'http://127.0.0.1:1',
      });
      const error = await rejectsWith('SIGNING_FAILED', signStatement(statement, signer));
      assert.match(error.message, /OIDC identity token.*ACTIONS_ID_TOKEN_REQUEST_URL/);
    });
  });
});
