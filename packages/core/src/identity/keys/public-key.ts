// Public keys a user trusts for key-signed bundles: PEM files, or the npm registry's keys document
// (`{"keys": [{keyId, keyUsage, publicKey: {rawBytes, validFor}}]}`). Each key gets a stable id,
// `sha256:<hex of DER SubjectPublicKeyInfo>`, and the names bundles use to hint at it.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SathosError } from '../../errors.js';

/** A key file larger than this is refused before parsing. */
export const MAX_PUBLIC_KEY_BYTES = 1024 * 1024;

/** The npm key usage whose keys sign registry publish attestations. */
export const NPM_ATTESTATION_KEY_USAGE = 'npm:attestations';

export interface TrustedPublicKey {
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo. */
  readonly keyId: string;
  readonly key: KeyObject;
  /** Every name a bundle's `publicKey.hint` may use for this key (keyId, npm and cosign styles). */
  readonly hints: readonly string[];
  /** When the key may sign; absent bounds are open. A bounded key needs a verified signing time. */
  readonly validFor?: { readonly start?: Date; readonly end?: Date };
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

function hintsFor(der: Buffer, extra: readonly string[]): string[] {
  const digest = createHash('sha256').update(der).digest();
  const base64 = digest.toString('base64');
  return [
    ...extra,
    `sha256:${digest.toString('hex')}`,
    `SHA256:${base64.replace(/=+$/, '')}`,
    base64,
    digest.toString('hex'),
  ];
}

function fromKeyObject(key: KeyObject, extraHints: readonly string[] = []): TrustedPublicKey {
  const der = key.export({ format: 'der', type: 'spki' });
  const hints = hintsFor(der, extraHints);
  return { keyId: hints[extraHints.length] ?? '', key, hints };
}

function parsePem(text: string, where: string): TrustedPublicKey[] {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new SathosError(
      'KEY_UNREADABLE',
      'no PEM "PUBLIC KEY" block found; pass a PEM public key',
      {
        where,
      },
    );
  }
  return blocks.map((block) => {
    try {
      return fromKeyObject(createPublicKey({ key: block, format: 'pem' }));
    } catch (cause) {
      throw new SathosError('KEY_UNREADABLE', 'the PEM block is not a decodable public key', {
        where,
        cause,
      });
    }
  });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalDate(value: unknown, where: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new SathosError('KEY_UNREADABLE', 'a key validFor bound is not a valid time', { where });
  }
  return date;
}

function npmKey(entry: unknown, where: string): TrustedPublicKey {
  const publicKey = isObject(entry) ? entry.publicKey : undefined;
  const raw = isObject(publicKey) ? publicKey.rawBytes : undefined;
  if (!isObject(entry) || !isObject(publicKey) || typeof raw !== 'string') {
    throw new SathosError('KEY_UNREADABLE', 'a key entry lacks publicKey.rawBytes', { where });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(raw, 'base64'), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new SathosError('KEY_UNREADABLE', 'a key entry is not a decodable public key', {
      where,
      cause,
    });
  }
  const hint = typeof entry.keyId === 'string' ? [entry.keyId] : [];
  const validFor = isObject(publicKey.validFor) ? publicKey.validFor : {};
  const start = optionalDate(validFor.start, where);
  const end = optionalDate(validFor.end, where);
  const window = { ...(start && { start }), ...(end && { end }) };
  return { ...fromKeyObject(key, hint), validFor: window };
}

function parseKeysDocument(json: unknown, where: string): TrustedPublicKey[] {
  const keys = isObject(json) ? json.keys : undefined;
  if (!Array.isArray(keys)) {
    throw new SathosError('KEY_UNREADABLE', 'a JSON key file must have a "keys" list', { where });
  }
  const usable = keys.filter(
    (k) => !isObject(k) || k.keyUsage === undefined || k.keyUsage === NPM_ATTESTATION_KEY_USAGE,
  );
  if (usable.length === 0) {
    throw new SathosError('KEY_UNREADABLE', `no key with keyUsage ${NPM_ATTESTATION_KEY_USAGE}`, {
      where,
    });
  }
  return usable.map((k) => npmKey(k, where));
}

/** Reads public keys from a key file's text: PEM block(s), or an npm registry keys document. */
export function parsePublicKeys(text: string, where: string): TrustedPublicKey[] {
  if (text.length > MAX_PUBLIC_KEY_BYTES) {
    throw new SathosError('KEY_UNREADABLE', 'key file is too large to be a public key', { where });
  }
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return parsePem(text, where);
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch (cause) {
    throw new SathosError('KEY_UNREADABLE', 'key file is neither PEM nor valid JSON', {
      where,
      cause,
    });
  }
  return parseKeysDocument(json, where);
}

/** True when the key may have signed at `date` (closed interval; open bounds always pass). */
export function keyValidAt(key: TrustedPublicKey, date: Date): boolean {
  const { start, end } = key.validFor ?? {};
  return (start === undefined || start <= date) && (end === undefined || date <= end);
}

/** True when the key has a validity window, so a verified signing time is required. */
export function isTimeBounded(key: TrustedPublicKey): boolean {
  return key.validFor?.start !== undefined || key.validFor?.end !== undefined;
}
