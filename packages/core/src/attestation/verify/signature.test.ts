// Key-signed DSSE bundles made with node:crypto on every curve: each verifies only over the hash its
// curve implies, a statement with an unset or null predicate verifies, and a wrong key says so.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { SathosError } from '../../errors.js';
import { parsePublicKeys } from '../../identity/keys/public-key.js';
import { trustFromJSON } from '../../identity/trust/trusted-root.js';
import { createBundleVerifier } from './verify-bundle.js';

const EMPTY_ROOT = trustFromJSON(
  { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' },
  'empty',
);
const ARTIFACT = Buffer.from('artifact bytes');
const SHA = createHash('sha256').update(ARTIFACT).digest('hex');
const IN_TOTO = 'application/vnd.in-toto+json';

function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };

function ecKeys(namedCurve: string): KeyPair {
  return generateKeyPairSync('ec', { namedCurve });
}

/** A v0.3 bundle whose DSSE signature `hash` made over the PAE of `payload`. */
function bundleSignedWith(
  pair: KeyPair,
  hash: string | null,
  payload: Buffer,
  options: { hint?: string; signedPayload?: Buffer } = {},
): Record<string, unknown> {
  const sig = sign(hash, pae(IN_TOTO, options.signedPayload ?? payload), pair.privateKey);
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: options.hint ?? 'k' }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO,
      signatures: [{ sig: sig.toString('base64') }],
    },
  };
}

function statement(predicate: unknown, omit = false): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a', digest: { sha256: SHA } }],
      predicateType: 'https://docs.pypi.org/attestations/publish/v1',
      ...(!omit && { predicate }),
    }),
  );
}

function verifierFor(pair: KeyPair) {
  const pem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const keys = parsePublicKeys(pem, 'key.pem');
  return { verifier: createBundleVerifier(EMPTY_ROOT, { keys }), keyId: keys[0]?.keyId ?? '' };
}

function failure(fn: () => unknown): SathosError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SathosError, String(error));
    return error;
  }
  assert.fail('expected a rejection');
}

const PAYLOAD = statement({ note: 'x' });
const expectation = { artifact: { bytes: ARTIFACT } };

void describe('DSSE signatures by curve', () => {
  const cases = [
    { curve: 'P-256', hash: 'sha256', wrong: 'sha384' },
    { curve: 'P-384', hash: 'sha384', wrong: 'sha256' },
    { curve: 'P-521', hash: 'sha512', wrong: 'sha256' },
  ];
  for (const { curve, hash, wrong } of cases) {
    void describe(`when a ${curve} key signs`, () => {
      const pair = ecKeys(curve);
      const { verifier, keyId } = verifierFor(pair);
      void it(`verifies a signature over ${hash.toUpperCase()}`, () => {
        const v = verifier.verify(bundleSignedWith(pair, hash, PAYLOAD), expectation);
        assert.deepEqual(v.signer, { kind: 'key', keyId });
      });
      void it(`rejects a signature over ${wrong.toUpperCase()} of the same content`, () => {
        const error = failure(() =>
          verifier.verify(bundleSignedWith(pair, wrong, PAYLOAD), expectation),
        );
        assert.equal(error.code, 'UNTRUSTED_SIGNER');
      });
    });
  }

  void it('rejects a P-384 signature over SHA-384 of other content', () => {
    const pair = ecKeys('P-384');
    const { verifier } = verifierFor(pair);
    const other = statement({ note: 'other' });
    const bundle = bundleSignedWith(pair, 'sha384', PAYLOAD, { signedPayload: other });
    assert.equal(failure(() => verifier.verify(bundle, expectation)).code, 'UNTRUSTED_SIGNER');
  });

  void it('rejects a P-384 signature over SHA-256 of other content', () => {
    const pair = ecKeys('P-384');
    const { verifier } = verifierFor(pair);
    const other = statement({ note: 'other' });
    const bundle = bundleSignedWith(pair, 'sha256', PAYLOAD, { signedPayload: other });
    assert.equal(failure(() => verifier.verify(bundle, expectation)).code, 'UNTRUSTED_SIGNER');
  });

  void it('verifies an Ed25519 signature (no separate hash)', () => {
    const pair = generateKeyPairSync('ed25519');
    const { verifier } = verifierFor(pair);
    assert.equal(
      verifier.verify(bundleSignedWith(pair, null, PAYLOAD), expectation).signer.kind,
      'key',
    );
  });
});

void describe('a key that did not sign the bundle', () => {
  const signer = ecKeys('P-256');
  const bundle = bundleSignedWith(signer, 'sha256', PAYLOAD, { hint: 'release-key' });
  void it('is reported as a key that does not match, not as altered content', () => {
    const { verifier, keyId } = verifierFor(ecKeys('P-256'));
    const error = failure(() => verifier.verify(bundle, expectation));
    assert.equal(error.code, 'UNTRUSTED_SIGNER');
    assert.match(error.message, /given key does not match the bundle's signature/);
    assert.ok(error.message.includes(keyId));
    assert.ok(error.message.includes('"release-key"'));
    assert.doesNotMatch(error.message, /altered|tamper/);
  });
  void it('is told apart from altered content under the key the bundle names', () => {
    const { verifier, keyId } = verifierFor(signer);
    const altered = structuredClone(
      bundleSignedWith(signer, 'sha256', PAYLOAD, { hint: keyId }),
    ) as { dsseEnvelope: { payload: string } };
    altered.dsseEnvelope.payload = statement({ note: 'swapped' }).toString('base64');
    const error = failure(() => verifier.verify(altered, expectation));
    assert.equal(error.code, 'SIGNATURE_INVALID');
    assert.match(error.message, /signed content was altered/);
  });
});

void describe('a Statement v1 predicate', () => {
  const pair = ecKeys('P-256');
  const { verifier } = verifierFor(pair);
  for (const [label, payload] of [
    ['null (as PyPI writes it)', statement(null)],
    ['unset', statement(undefined, true)],
  ] as const) {
    void it(`is accepted when ${label}, and reads as {}`, () => {
      const v = verifier.verify(bundleSignedWith(pair, 'sha256', payload), expectation);
      assert.equal(v.predicateType, 'https://docs.pypi.org/attestations/publish/v1');
      assert.deepEqual(v.statement?.predicate, {});
    });
  }
  for (const [label, predicate] of [
    ['a string', 'x'],
    ['an array', []],
    ['a number', 0],
  ] as const) {
    void it(`is rejected when ${label}`, () => {
      const bundle = bundleSignedWith(pair, 'sha256', statement(predicate));
      const error = failure(() => verifier.verify(bundle, expectation));
      assert.equal(error.code, 'MALFORMED_STATEMENT');
      assert.match(error.message, /predicate must be an object/);
    });
  }
});
