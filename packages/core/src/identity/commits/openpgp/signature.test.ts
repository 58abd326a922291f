// OpenPGP commit signatures read and checked on their own, with keys and detached signatures made by
// the openpgp library as gpg makes them: a signature by an allowed key for the committer verifies;
// each way one can be wrong is refused — unreadable armor, two signatures, an unknown key, another
// message, a signing time far from the committer time, another committer, a key expired or revoked
// at the judged time; and a key file that is oversized, private, empty, unreadable or repeated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createMessage,
  generateKey,
  readKey,
  readPrivateKey,
  readSignature,
  revokeKey,
  sign,
  type PrivateKey,
} from 'openpgp';
import { SathosError, type ErrorCode } from '../../../errors.js';
import { MAX_PGP_KEYS_BYTES, readPgpKeys, verifyPgpSignature } from './signature.js';

const T0 = new Date('2026-01-01T12:00:00Z');
const PAYLOAD = Buffer.from('tree 0000\nauthor a <alice@example.com> 1 +0000\n\nsigned\n');

interface TestKey {
  readonly privateKey: PrivateKey;
  readonly publicArmored: string;
}

async function newKey(email: string, keyExpirationTime?: number): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKey({
    type: 'curve25519',
    userIDs: [{ name: email.split('@')[0] ?? email, email }],
    date: new Date(T0.getTime() - 24 * 3600 * 1000),
    ...(keyExpirationTime === undefined ? {} : { keyExpirationTime }),
    format: 'armored',
  });
  return { privateKey: await readPrivateKey({ armoredKey: privateKey }), publicArmored: publicKey };
}

/** A detached binary signature, as gpg writes for `git commit -S`. */
async function signed(key: TestKey, at = T0, payload = PAYLOAD): Promise<string> {
  const armored: unknown = await sign({
    message: await createMessage({ binary: new Uint8Array(payload) }),
    signingKeys: key.privateKey,
    detached: true,
    date: at,
    format: 'armored',
  });
  assert.equal(typeof armored, 'string');
  return armored as string;
}

const alice = await newKey('alice@example.com');
const mallory = await newKey('mallory@example.com');

async function verifyWith(
  armoredSignature: string,
  keys: string,
  overrides: { email?: string; time?: Date; validAt?: Date; payload?: Buffer } = {},
) {
  return verifyPgpSignature({
    armoredSignature,
    payload: overrides.payload ?? PAYLOAD,
    keys: await readPgpKeys(keys),
    time: overrides.time ?? T0,
    validAt: overrides.validAt ?? T0,
    email: overrides.email ?? 'alice@example.com',
  });
}

function fails(code: ErrorCode, pattern: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `not a SathosError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

void describe('verifyPgpSignature', () => {
  void it("verifies a signature by an allowed key, naming the committer's user ID and the key", async () => {
    const result = await verifyWith(await signed(alice), alice.publicArmored);
    assert.equal(result.signer, 'alice <alice@example.com>');
    const signing = (await readKey({ armoredKey: alice.publicArmored })).getFingerprint();
    assert.equal(result.key, signing.toUpperCase());
  });

  void it('refuses a signature over another message', async () => {
    const other = Buffer.concat([PAYLOAD, Buffer.from('x')]);
    await assert.rejects(
      verifyWith(await signed(alice), alice.publicArmored, { payload: other }),
      fails('SIGNATURE_INVALID', /does not verify/),
    );
  });

  void it('refuses a signature by a key that is not allowed', async () => {
    await assert.rejects(
      verifyWith(await signed(mallory), alice.publicArmored),
      fails('UNTRUSTED_SIGNER', /not in the allowed keys/),
    );
  });

  void it('refuses a key whose user IDs do not name the committer', async () => {
    await assert.rejects(
      verifyWith(await signed(alice), alice.publicArmored, { email: 'bob@example.com' }),
      fails('UNTRUSTED_SIGNER', /no valid user ID for the committer bob@example\.com/),
    );
  });

  void it('refuses a signing time more than 10 minutes from the committer time (back-dating)', async () => {
    const early = new Date(T0.getTime() - 11 * 60 * 1000);
    await assert.rejects(
      verifyWith(await signed(alice, early), alice.publicArmored),
      fails('SIGNATURE_INVALID', /more than 10 minutes/),
    );
  });

  void it('refuses a key that has expired by the time the policy judges it at', async () => {
    const expiring = await newKey('alice@example.com', 2 * 24 * 3600);
    const later = new Date(T0.getTime() + 5 * 24 * 3600 * 1000);
    await assert.rejects(
      verifyWith(await signed(expiring), expiring.publicArmored, { validAt: later }),
      fails('SIGNATURE_INVALID', /is not valid at/),
    );
  });

  void it('refuses a signature by a revoked key, whenever it was made', async () => {
    const key = await newKey('alice@example.com');
    const signature = await signed(key);
    const { publicKey } = await revokeKey({
      key: key.privateKey,
      date: new Date(T0.getTime() + 3600 * 1000),
      format: 'armored',
    });
    // Revoked an hour after it signed: a hard revocation rejects the key whenever it was issued.
    await assert.rejects(
      verifyWith(signature, publicKey),
      fails('SIGNATURE_INVALID', /Primary key is revoked/),
    );
  });

  void it('refuses armor that is not an OpenPGP signature', async () => {
    const broken = '-----BEGIN PGP SIGNATURE-----\n\nnot base64!\n-----END PGP SIGNATURE-----\n';
    await assert.rejects(
      verifyWith(broken, alice.publicArmored),
      fails('SIGNATURE_INVALID', /cannot be read/),
    );
  });

  void it('refuses a signature block holding two signatures', async () => {
    const one = await readSignature({ armoredSignature: await signed(alice) });
    const two = await readSignature({ armoredSignature: await signed(alice) });
    one.packets.push(...two.packets);
    await assert.rejects(
      verifyWith(one.armor(), alice.publicArmored),
      fails('SIGNATURE_INVALID', /holds 2 signatures, not 1/),
    );
  });
});

void describe('readPgpKeys', () => {
  void it('reads every public key block in the text', async () => {
    const keys = await readPgpKeys(`${alice.publicArmored}\n${mallory.publicArmored}`);
    assert.equal(keys.length, 2);
  });

  const cases: [string, () => string, ErrorCode, RegExp][] = [
    ['a text over the limit', () => 'x'.repeat(MAX_PGP_KEYS_BYTES + 1), 'TOO_LARGE', /larger than/],
    ['a private key', () => alice.privateKey.armor(), 'POLICY_INVALID', /holds a private key/],
    ['no key block', () => 'just text', 'POLICY_INVALID', /holds no "PGP PUBLIC KEY BLOCK"/],
    [
      'an unreadable block',
      () => '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----',
      'POLICY_INVALID',
      /key block 1 is not a readable OpenPGP public key/,
    ],
    [
      'the same key twice (a stale copy may lack its revocation)',
      () => `${alice.publicArmored}\n${alice.publicArmored}`,
      'POLICY_INVALID',
      /appears more than once/,
    ],
  ];
  for (const [name, text, code, pattern] of cases) {
    void it(`refuses ${name}`, async () => {
      await assert.rejects(readPgpKeys(text(), 'keys.asc'), fails(code, pattern));
    });
  }
});
