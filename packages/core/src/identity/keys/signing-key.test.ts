import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SathosError } from '../../errors.js';
import { generateSigningKeyPair, loadSigningKey, publicKeyId } from './signing-key.js';

function rejectsWith(code: string, fn: () => unknown): SathosError {
  let thrown: unknown;
  assert.throws(() => {
    try {
      fn();
    } catch (error) {
      thrown = error;
      throw error;
    }
  });
  assert.ok(thrown instanceof SathosError);
  assert.equal(thrown.code, code);
  return thrown;
}

void describe('signing keys', () => {
  void describe('when a key pair is generated', () => {
    const pair = generateSigningKeyPair();

    void it('is PEM PKCS#8 / SPKI on P-256', () => {
      assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.equal(
        createPublicKey(pair.publicKeyPem).asymmetricKeyDetails?.namedCurve,
        'prime256v1',
      );
    });

    void it('names the key by sha256 of its DER SubjectPublicKeyInfo', () => {
      const der = createPublicKey(pair.publicKeyPem).export({ format: 'der', type: 'spki' });
      assert.equal(pair.keyId, `sha256:${createHash('sha256').update(der).digest('hex')}`);
    });

    void it('loads back with the same keyId, from the private or the public half', () => {
      const key = loadSigningKey(pair.privateKeyPem);
      assert.equal(key.keyId, pair.keyId);
      assert.equal(publicKeyId(key.privateKey), pair.keyId);
      assert.equal(publicKeyId(createPublicKey(pair.publicKeyPem)), pair.keyId);
    });

    void it('gives different keys different ids', () => {
      assert.notEqual(generateSigningKeyPair().keyId, pair.keyId);
    });
  });

  void describe('when the key is encrypted', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
      .toString();

    void it('loads with the right passphrase', () => {
      assert.equal(
        loadSigningKey(encrypted, { passphrase: 'correct horse' }).keyId,
        publicKeyId(privateKey),
      );
    });

    void it('rejects a missing passphrase with KEY_UNREADABLE, not a prompt', () => {
      const error = rejectsWith('KEY_UNREADABLE', () =>
        loadSigningKey(encrypted, { where: 'key.pem' }),
      );
      assert.match(error.message, /give its passphrase/);
      assert.equal(error.where, 'key.pem');
    });

    void it('rejects a wrong passphrase with KEY_UNREADABLE', () => {
      rejectsWith('KEY_UNREADABLE', () => loadSigningKey(encrypted, { passphrase: 'wrong' }));
    });
  });

  void describe('when the input is not a usable key', () => {
    void it('rejects text that is not PEM', () => {
      rejectsWith('KEY_UNREADABLE', () => loadSigningKey('hello'));
    });

    void it('rejects a public key where a private key is needed', () => {
      rejectsWith('KEY_UNREADABLE', () => loadSigningKey(generateSigningKeyPair().publicKeyPem));
    });

    void it('rejects a corrupt PEM body', () => {
      rejectsWith('KEY_UNREADABLE', () =>
        loadSigningKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      );
    });

    void it('rejects curves and algorithms other than ECDSA P-256', () => {
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
      const ed25519 = generateKeyPairSync('ed25519').privateKey;
      for (const key of [p384, ed25519]) {
        const pem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
        assert.match(rejectsWith('KEY_UNREADABLE', () => loadSigningKey(pem)).message, /P-256/);
      }
    });
  });
});
