import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SathosError } from '../../errors.js';
import { isTimeBounded, keyValidAt, parsePublicKeys } from './public-key.js';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const der = publicKey.export({ format: 'der', type: 'spki' });

void describe('public keys', () => {
  void describe('when given a PEM key', () => {
    void it('names it sha256:<hex of DER SPKI>', () => {
      const key = parsePublicKeys(pem, 'k.pem')[0];
      assert.ok(key);
      assert.equal(key.keyId, `sha256:${createHash('sha256').update(der).digest('hex')}`);
      assert.equal(isTimeBounded(key), false);
    });
  });

  void describe('when given an npm keys document', () => {
    const doc = {
      keys: [
        {
          keyId: 'SHA256:x',
          keyUsage: 'npm:signatures',
          publicKey: { rawBytes: der.toString('base64') },
        },
        {
          keyId: 'SHA256:x',
          keyUsage: 'npm:attestations',
          publicKey: {
            rawBytes: der.toString('base64'),
            validFor: { start: '2022-12-01T00:00:00Z', end: '2025-01-29T00:00:00Z' },
          },
        },
      ],
    };
    void it('keeps only attestation keys, with their hint and window', () => {
      const keys = parsePublicKeys(JSON.stringify(doc), 'keys.json');
      assert.equal(keys.length, 1);
      const key = keys[0];
      assert.ok(key);
      assert.ok(key.hints.includes('SHA256:x'));
      assert.ok(keyValidAt(key, new Date('2024-01-01T00:00:00Z')));
      assert.ok(!keyValidAt(key, new Date('2025-06-01T00:00:00Z')));
    });
  });

  void describe('when the file is not a key', () => {
    for (const [name, text] of [
      ['garbage', 'hello'],
      ['a broken PEM', '-----BEGIN PUBLIC KEY-----\nAAAAwrongkey==\n-----END PUBLIC KEY-----'],
      ['broken JSON', '{"keys": ['],
      ['a JSON document without keys', '{"a": 1}'],
    ] as const) {
      void it(`rejects ${name} as KEY_UNREADABLE`, () => {
        assert.throws(
          () => parsePublicKeys(text, 'k'),
          (e: unknown) => e instanceof SathosError && e.code === 'KEY_UNREADABLE',
        );
      });
    }
  });
});
