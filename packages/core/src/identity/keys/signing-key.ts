// Signing keys for key-based (air-gapped, self-hosted, demo) signers: ECDSA P-256, PEM PKCS#8 private and
// SPKI public, identified by `sha256:<hex of the DER SubjectPublicKeyInfo>`.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { SathosError, describeCause } from '../../errors.js';
import { sha256Hex } from '../../digest.js';

/** The only curve we sign with: what Sigstore's clients and verifiers all speak. */
export const SIGNING_KEY_CURVE = 'prime256v1';

/** A usable private key, with the public half and its keyId worked out once. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** `sha256:<hex>` of the public key's DER SubjectPublicKeyInfo. */
  readonly keyId: string;
}

/** A freshly generated key pair as PEM text, ready to write to files. */
export interface SigningKeyPairPem {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

export interface LoadPrivateKeyOptions {
  /** For an encrypted PKCS#8 (or traditional) PEM key. */
  readonly passphrase?: string;
  /** Names the key in error messages, e.g. the file path. */
  readonly where?: string;
}

/** `sha256:<hex of DER SPKI>` for a public key, or for the public half of a private key. */
export function publicKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return `sha256:${sha256Hex(der)}`;
}

/** A new ECDSA P-256 key pair (PKCS#8 private, SPKI public, both PEM). */
export function generateSigningKeyPair(): SigningKeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: SIGNING_KEY_CURVE });
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: publicKeyId(publicKey),
  };
}

function keyUnreadable(
  message: string,
  options: LoadPrivateKeyOptions,
  cause?: unknown,
): SathosError {
  return new SathosError('KEY_UNREADABLE', message, {
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(cause === undefined ? {} : { cause }),
  });
}

function parsePrivateKey(pem: string, options: LoadPrivateKeyOptions): KeyObject {
  if (!pem.includes('-----BEGIN') || !pem.includes('PRIVATE KEY-----')) {
    throw keyUnreadable('not a PEM private key; pass a PKCS#8 "PRIVATE KEY" PEM file', options);
  }
  try {
    // An empty passphrase makes an encrypted key fail instead of prompting or hanging.
    return createPrivateKey({ key: pem, format: 'pem', passphrase: options.passphrase ?? '' });
  } catch (cause) {
    const hint = !pem.includes('ENCRYPTED')
      ? 'check that the file is a PEM private key'
      : options.passphrase === undefined
        ? 'the key is encrypted: give its passphrase'
        : 'the key is encrypted: check the passphrase';
    throw keyUnreadable(
      `cannot read the private key (${describeCause(cause)}); ${hint}`,
      options,
      cause,
    );
  }
}

/** Reads a PEM private key; only ECDSA P-256 is accepted. Throws KEY_UNREADABLE otherwise. */
export function loadSigningKey(pem: string, options: LoadPrivateKeyOptions = {}): SigningKey {
  const privateKey = parsePrivateKey(pem, options);
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (privateKey.asymmetricKeyType !== 'ec' || curve !== SIGNING_KEY_CURVE) {
    const found =
      privateKey.asymmetricKeyType === 'ec'
        ? `EC ${curve ?? 'unknown curve'}`
        : String(privateKey.asymmetricKeyType);
    throw keyUnreadable(`unsupported key type ${found}; generate an ECDSA P-256 key`, options);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: publicKeyId(publicKey),
  };
}
