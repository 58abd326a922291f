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
const ARTIFACT = Buffer.from('artifact bytes, streamed in more than one chunk');

async function* chunksOf(bytes: Buffer, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

function pem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** A key-signed hashedrekord-style bundle: the signature is over the artifact bytes themselves. */
function messageBundle(artifact: Buffer, signed: Buffer = artifact, signer?: KeyObject) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'k' }, tlogEntries: [] },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: createHash('sha256').update(artifact).digest('base64'),
      },
      signature: sign('sha256', signed, signer ?? privateKey).toString('base64'),
    },
  };
  return { bundle, keys: parsePublicKeys(pem(publicKey), 'k') };
}

function dsseBundle(payloadType: string, payload: Buffer) {
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
  return { bundle, keys: parsePublicKeys(pem(publicKey), 'k') };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof SathosError ? e.code : 'NOT_SATHOS';
  }
  return undefined;
}

void describe('BundleVerifier.streamArtifact', () => {
  void describe('for a message-signature bundle (the signature is over the artifact bytes)', () => {
    const { bundle, keys } = messageBundle(ARTIFACT);
    const verifier = createBundleVerifier(EMPTY_ROOT, { keys, allowUnloggedKeySignatures: true });

    void it('verifies the artifact from one pass over its chunks, as its bytes would', async () => {
      const artifact = await verifier.streamArtifact(chunksOf(ARTIFACT), [bundle]);
      const streamed = verifier.verify(bundle, { artifact });
      const whole = verifier.verify(bundle, { artifact: { bytes: ARTIFACT } });
      assert.deepEqual(streamed.signer, whole.signer);
      assert.deepEqual(streamed.signer, { kind: 'key', keyId: keys[0]?.keyId });
    });

    void it('rejects another artifact with SUBJECT_MISMATCH', async () => {
      const other = await verifier.streamArtifact(chunksOf(Buffer.from('other')), [bundle]);
      assert.equal(
        codeOf(() => verifier.verify(bundle, { artifact: other })),
        'SUBJECT_MISMATCH',
      );
    });

    void it('rejects a stream read for other bundles: nothing of this one was checked', async () => {
      const artifact = await verifier.streamArtifact(chunksOf(ARTIFACT), []);
      assert.notEqual(
        codeOf(() => verifier.verify(bundle, { artifact })),
        undefined,
      );
    });

    void it('rejects a signature over other bytes though the message digest matches', async () => {
      const forged = messageBundle(ARTIFACT, Buffer.from('not the artifact'));
      const v = createBundleVerifier(EMPTY_ROOT, {
        keys: forged.keys,
        allowUnloggedKeySignatures: true,
      });
      const artifact = await v.streamArtifact(chunksOf(ARTIFACT), [forged.bundle]);
      const code = codeOf(() => v.verify(forged.bundle, { artifact }));
      assert.equal(code, 'UNTRUSTED_SIGNER');
      assert.equal(
        code,
        codeOf(() => v.verify(forged.bundle, { artifact: { bytes: ARTIFACT } })),
      );
    });

    void it('rejects a signature made by a key other than the one given', async () => {
      const intruder = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const forged = messageBundle(ARTIFACT, ARTIFACT, intruder);
      const v = createBundleVerifier(EMPTY_ROOT, {
        keys: forged.keys,
        allowUnloggedKeySignatures: true,
      });
      const artifact = await v.streamArtifact(chunksOf(ARTIFACT), [forged.bundle]);
      const code = codeOf(() => v.verify(forged.bundle, { artifact }));
      assert.equal(code, 'UNTRUSTED_SIGNER');
      assert.equal(
        code,
        codeOf(() => v.verify(forged.bundle, { artifact: { bytes: ARTIFACT } })),
      );
    });

    void it('rejects an object shaped like a stream proof that streamArtifact did not make', async () => {
      const intruder = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const forged = messageBundle(ARTIFACT, ARTIFACT, intruder);
      const genuine = await verifier.streamArtifact(chunksOf(ARTIFACT), [bundle]);
      // Every check claims success under the trusted key, for the forged bundle's signature.
      const lookAlike = {
        digests: genuine.digests,
        messageDigests: genuine.messageDigests,
        signatureChecks: [
          {
            key: keys[0]?.key,
            hash: 'sha256',
            signature: Buffer.from(forged.bundle.messageSignature.signature, 'base64'),
            verified: true,
          },
        ],
      } as unknown as typeof genuine;
      assert.equal(
        codeOf(() => verifier.verify(forged.bundle, { artifact: lookAlike })),
        'USAGE',
      );
    });
  });

  void describe('for a DSSE bundle whose payload is the artifact itself', () => {
    const { bundle, keys } = dsseBundle('text/plain', ARTIFACT);
    const verifier = createBundleVerifier(EMPTY_ROOT, { keys });

    void it('binds it by the streamed digests', async () => {
      const artifact = await verifier.streamArtifact(chunksOf(ARTIFACT), [bundle]);
      assert.ok(verifier.verify(bundle, { artifact }));
    });

    void it('refuses a payload that agrees with the artifact on SHA-1 alone', () => {
      const sha1 = createHash('sha1').update(ARTIFACT).digest('hex');
      const digests = [
        { algorithm: 'sha1', hex: sha1 },
        { algorithm: 'sha256', hex: 'ab'.repeat(32) },
      ] as const;
      assert.equal(
        codeOf(() => verifier.verify(bundle, { artifact: { digests } })),
        'SUBJECT_MISMATCH',
      );
    });
  });
});
