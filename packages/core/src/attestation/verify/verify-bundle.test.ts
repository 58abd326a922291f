import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { SathosError } from '../../errors.js';
import { parsePublicKeys } from '../../identity/keys/public-key.js';
import { trustFromJSON } from '../../identity/trust/trusted-root.js';
import { VerifiedBundle, createBundleVerifier } from './verify-bundle.js';
import { identityProblems } from './identity.js';

const EMPTY_ROOT = trustFromJSON(
  { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' },
  'empty',
);
const ARTIFACT = Buffer.from('artifact bytes');
const SHA = createHash('sha256').update(ARTIFACT).digest('hex');

function keySigned(payloadType: string, payload: Buffer) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ]);
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'k' }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType,
      signatures: [{ sig: sign('sha256', pae, privateKey).toString('base64') }],
    },
  };
  const keys = parsePublicKeys(publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'k');
  return { bundle, keys };
}

function statement(sha256: string, type = 'https://in-toto.io/Statement/v1'): Buffer {
  const s = {
    _type: type,
    subject: [{ name: 'a', digest: { sha256 } }],
    predicateType: 'https://example.com/p',
    predicate: {},
  };
  return Buffer.from(JSON.stringify(s));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof SathosError ? e.code : 'NOT_SATHOS';
  }
  return undefined;
}

void describe('createBundleVerifier', () => {
  void describe('when a key-signed statement names the artifact', () => {
    const { bundle, keys } = keySigned('application/vnd.in-toto+json', statement(SHA));
    const verifier = createBundleVerifier(EMPTY_ROOT, { keys });
    void it('returns a VerifiedBundle with the signer, link digest and statement', () => {
      const v = verifier.verify(bundle, { artifact: { bytes: ARTIFACT } });
      assert.ok(VerifiedBundle.isVerified(v));
      assert.deepEqual(v.signer, { kind: 'key', keyId: keys[0]?.keyId });
      assert.equal(v.payloadSha256, createHash('sha256').update(statement(SHA)).digest('hex'));
      assert.equal(v.statement?.predicateType, 'https://example.com/p');
    });
    void it('rejects another artifact with SUBJECT_MISMATCH', () => {
      assert.equal(
        codeOf(() => verifier.verify(bundle, { artifact: { bytes: Buffer.from('other') } })),
        'SUBJECT_MISMATCH',
      );
    });
    void it('rejects another predicate type with PREDICATE_MISMATCH', () => {
      assert.equal(
        codeOf(() => verifier.verify(bundle, { predicateType: 'https://example.com/q' })),
        'PREDICATE_MISMATCH',
      );
    });
    void it('rejects a policy asking for another key with IDENTITY_MISMATCH', () => {
      assert.equal(
        codeOf(() => verifier.verify(bundle, { identity: { keyId: 'sha256:00' } })),
        'IDENTITY_MISMATCH',
      );
    });
    void it('rejects it when no key is trusted', () => {
      assert.equal(
        codeOf(() => createBundleVerifier(EMPTY_ROOT).verify(bundle)),
        'UNTRUSTED_SIGNER',
      );
    });
  });

  void describe('when a subject names the artifact by one digest and another artifact by a second', () => {
    // A SHA-1 collision twin of the signed artifact matches its sha1 but not its sha256.
    const sha1 = createHash('sha1').update(ARTIFACT).digest('hex');
    const subject = { name: 'a', digest: { sha256: 'ab'.repeat(32), sha1 } };
    const payload = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [subject],
        predicateType: 'https://example.com/p',
        predicate: {},
      }),
    );
    const { bundle, keys } = keySigned('application/vnd.in-toto+json', payload);
    void it('rejects the artifact with SUBJECT_MISMATCH: the digests it shares must all agree', () => {
      assert.equal(
        codeOf(() =>
          createBundleVerifier(EMPTY_ROOT, { keys }).verify(bundle, {
            artifact: { bytes: ARTIFACT },
          }),
        ),
        'SUBJECT_MISMATCH',
      );
    });
  });

  void describe('when the payload is an in-toto Statement v0.1', () => {
    const { bundle, keys } = keySigned(
      'application/vnd.in-toto+json',
      statement(SHA, 'https://in-toto.io/Statement/v0.1'),
    );
    void it('binds the subjects but exposes no v1 statement', () => {
      const v = createBundleVerifier(EMPTY_ROOT, { keys }).verify(bundle, {
        artifact: { digests: [{ algorithm: 'sha256', hex: SHA }] },
      });
      assert.equal(v.statement, undefined);
      assert.equal(v.statementType, 'https://in-toto.io/Statement/v0.1');
    });
  });

  void describe('when the in-toto payload is not a statement', () => {
    const { bundle, keys } = keySigned(
      'application/vnd.in-toto+json',
      Buffer.from('{"_type": "x"}'),
    );
    void it('rejects it with MALFORMED_STATEMENT', () => {
      assert.equal(
        codeOf(() => createBundleVerifier(EMPTY_ROOT, { keys }).verify(bundle)),
        'MALFORMED_STATEMENT',
      );
    });
  });

  void describe('when the payload is not in-toto', () => {
    const { bundle, keys } = keySigned('text/plain', ARTIFACT);
    const verifier = createBundleVerifier(EMPTY_ROOT, { keys });
    void it('the signed payload itself is the artifact', () => {
      assert.ok(verifier.verify(bundle, { artifact: { bytes: ARTIFACT } }));
      assert.equal(
        codeOf(() => verifier.verify(bundle, { artifact: { bytes: Buffer.from('x') } })),
        'SUBJECT_MISMATCH',
      );
    });
  });

  void describe('when someone builds a VerifiedBundle by hand', () => {
    void it('refuses', () => {
      assert.throws(() => new VerifiedBundle(Symbol('VerifiedBundle'), {} as never), TypeError);
      assert.equal(VerifiedBundle.isVerified({ signer: { kind: 'key', keyId: 'x' } }), false);
    });
  });
});

void describe('identity policy', () => {
  const signer = {
    kind: 'certificate',
    subject: 'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
    claims: {},
  } as const;
  void it('anchors patterns at both ends', () => {
    assert.notDeepEqual(identityProblems(signer, { subjectRegexp: 'github\\.com/o/' }), []);
    assert.deepEqual(identityProblems(signer, { subjectRegexp: 'https://github\\.com/o/.*' }), []);
  });
  void it('requires the exact issuer', () => {
    assert.notDeepEqual(
      identityProblems(signer, { issuer: 'https://token.actions.githubusercontent.com/x' }),
      [],
    );
  });
  void it('does not let a key signer satisfy a certificate identity', () => {
    assert.notDeepEqual(
      identityProblems({ kind: 'key', keyId: 'sha256:ab' }, { subject: signer.subject }),
      [],
    );
  });
});
