// A key-signed DSSE bundle with no log entry and no timestamp, as air-gapped signing makes it:
// made here with node:crypto so tests need no signing service.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface KeySignedBundle {
  readonly bundle: Record<string, unknown>;
  readonly publicKeyPem: string;
  readonly publicKey: KeyObject;
}

function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** Signs `statement` as an in-toto DSSE envelope in a v0.3 bundle that names its key by hint. */
export function keySignedBundle(statement: unknown): KeySignedBundle {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payloadType = 'application/vnd.in-toto+json';
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign('sha256', pae(payloadType, payload), privateKey);
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'demo-key' }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType,
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    },
  };
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return { bundle, publicKeyPem, publicKey };
}

export function statementFor(sha256: string): unknown {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.bin', digest: { sha256 } }],
    predicateType: 'https://example.com/predicate/v1',
    predicate: { note: 'test' },
  };
}
