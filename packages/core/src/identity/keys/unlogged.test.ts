// The unlogged-key rule, and the attack it stops: a key-signed bundle with no log entry and no
// timestamp passes only a verifier built for named keys with no named root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keySigner } from '../../attestation/sign/key-signer.js';
import { signStatement } from '../../attestation/sign/sign.js';
import { STATEMENT_TYPE } from '../../attestation/record/statement.js';
import { createBundleVerifier } from '../../attestation/verify/verify-bundle.js';
import { SathosError } from '../../errors.js';
import { publicGoodTrust } from '../trust/trusted-root.js';
import { parsePublicKeys } from './public-key.js';
import { generateSigningKeyPair } from './signing-key.js';
import { keyTrust } from './unlogged.js';

const pair = generateSigningKeyPair();
const keys = parsePublicKeys(pair.publicKeyPem, 'signer.pub');

void describe('keyTrust', () => {
  const cases: [string, { keys: typeof keys; rootNamed: boolean }, boolean][] = [
    ['keys named, no root named: accepted unlogged', { keys, rootNamed: false }, true],
    ['keys named and a root named: the root demands witnesses', { keys, rootNamed: true }, false],
    ['no keys named: nothing to relax', { keys: [], rootNamed: false }, false],
    ['no keys and a root named', { keys: [], rootNamed: true }, false],
  ];
  for (const [name, source, allowed] of cases) {
    void it(name, () => {
      const trust = keyTrust(source);
      assert.equal(trust.allowUnloggedKeySignatures, allowed);
      assert.equal(trust.keys, source.keys);
    });
  }
});

void describe('an unlogged key-signed bundle', () => {
  const bundle = signStatement(
    {
      _type: STATEMENT_TYPE,
      subject: [{ name: 'app.tar', digest: { sha256: 'a'.repeat(64) } }],
      predicateType: 'https://example.com/p/v1',
      predicate: {},
    },
    keySigner({ privateKeyPem: pair.privateKeyPem }),
  );
  const verify = async (source: { keys: typeof keys; rootNamed: boolean }) =>
    createBundleVerifier(publicGoodTrust(), keyTrust(source)).verify(await bundle);
  const fails = (code: string) => (error: unknown) =>
    error instanceof SathosError && error.code === code;

  void it('verifies under the key the caller named when no root is named', async () => {
    assert.equal((await verify({ keys, rootNamed: false })).signer.kind, 'key');
  });

  void it('attack: is refused when a named root demands a log entry or timestamp', async () => {
    await assert.rejects(verify({ keys, rootNamed: true }), fails('TIMESTAMP_INVALID'));
  });

  void it('attack: is refused when the caller named no key, whatever the root', async () => {
    await assert.rejects(verify({ keys: [], rootNamed: false }), fails('UNTRUSTED_SIGNER'));
  });
});
