// The DSSE signature check with the hash the key implies. sigstore-js verifies every DSSE signature
// over SHA-256, so a P-384 or P-521 key that signed as its curve prescribes (SHA-384, SHA-512, as
// cosign and sigstore-go sign) failed; here each ECDSA curve gets its own hash and nothing else.
import { verify, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';

/** node:crypto's curve names → the hash an ECDSA signature on that curve is made over. */
const CURVE_HASHES: Readonly<Record<string, string>> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

/**
 * The hash to verify with: the curve's for ECDSA, none for Ed25519 (it hashes internally), SHA-256
 * for RSA (what sigstore-js signs with); undefined for a key we cannot place, which then verifies
 * nothing.
 */
export function signatureHash(key: KeyObject): string | null | undefined {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return CURVE_HASHES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    case 'ed25519':
      return null;
    case 'rsa':
    case 'rsa-pss':
      return 'sha256';
    default:
      return undefined;
  }
}

/** True when `signature` over `data` verifies under `key` with the key's own hash. */
export function verifiesWithKeyHash(data: Buffer, key: KeyObject, signature: Buffer): boolean {
  const hash = signatureHash(key);
  if (hash === undefined) return false;
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

/** The entity with its DSSE signature check replaced by the curve-aware one; others unchanged. */
export function withKeyHash(entity: SignedEntity, bundle: Bundle): SignedEntity {
  if (bundle.content.$case !== 'dsseEnvelope') return entity;
  const { payloadType, payload, signatures } = bundle.content.dsseEnvelope;
  const signed = dsse.preAuthEncoding(payloadType, payload);
  const content = entity.signature;
  const sig = signatures[0]?.sig ?? Buffer.alloc(0);
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (s) => content.compareSignature(s),
      compareDigest: (d) => content.compareDigest(d),
      compareSignedDigest: (d) => content.compareSignedDigest(d),
      verifySignature: (key) => verifiesWithKeyHash(signed, key, sig),
    },
  };
}
