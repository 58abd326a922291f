// gitsign's offline Rekor evidence: in offline mode gitsign logs a hashedrekord of the signed
// attributes, then stores the log's TransparencyLogEntry (protobuf, canonicalized body cleared) in
// the unsigned attribute 1.3.6.1.4.1.57264.3.1. The body is rebuilt here from the signature, the
// certificate and the signed attributes, so the log's promise or proof only verifies if it covers
// exactly this signature by exactly this certificate.
// https://github.com/sigstore/gitsign/blob/main/docs/verification.md
// https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_rekor.proto
import { createHash } from 'node:crypto';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { SathosError, describeCause } from '../../../errors.js';

/** More inclusion-proof hashes than this is no real log (a 2^64-entry tree needs 64). */
const MAX_PROOF_HASHES = 64;

type Fields = Map<number, (Uint8Array | bigint | string)[]>;

function invalid(what: string, cause?: unknown): SathosError {
  return new SathosError(
    'TLOG_INVALID',
    `the embedded Rekor entry is malformed: ${what}; re-sign the commit with gitsign`,
    cause === undefined ? {} : { cause },
  );
}

/** Every field of one protobuf message: length-delimited as bytes, varints as int64. */
function fieldsOf(data: Uint8Array): Fields {
  const reader = new BinaryReader(data);
  const fields: Fields = new Map();
  while (reader.pos < reader.len) {
    const [no, type] = reader.tag();
    const value =
      type === WireType.LengthDelimited
        ? reader.bytes()
        : type === WireType.Varint
          ? reader.int64()
          : undefined;
    if (value === undefined) {
      reader.skip(type, no);
      continue;
    }
    fields.set(no, [...(fields.get(no) ?? []), value]);
  }
  return fields;
}

function one(fields: Fields, no: number, what: string): Uint8Array | bigint | string {
  const values = fields.get(no) ?? [];
  if (values.length !== 1) throw invalid(`${what} must appear once`);
  return values[0] as Uint8Array | bigint | string;
}

function bytesField(fields: Fields, no: number, what: string): Buffer {
  const value = one(fields, no, what);
  if (!(value instanceof Uint8Array)) throw invalid(`${what} is not bytes`);
  return Buffer.from(value);
}

function intField(fields: Fields, no: number, what: string): string {
  const value = one(fields, no, what);
  if (value instanceof Uint8Array) throw invalid(`${what} is not an integer`);
  if (BigInt(value) < 0n) throw invalid(`${what} is negative`);
  return String(value);
}

function optionalMessage(fields: Fields, no: number, what: string): Fields | undefined {
  return fields.has(no) ? fieldsOf(bytesField(fields, no, what)) : undefined;
}

function inclusionProof(fields: Fields): TransparencyLogEntry['inclusionProof'] {
  const hashes = (fields.get(4) ?? []).map((h) => {
    if (!(h instanceof Uint8Array)) throw invalid('an inclusion-proof hash is not bytes');
    return Buffer.from(h);
  });
  if (hashes.length > MAX_PROOF_HASHES) throw invalid('the inclusion proof is too long');
  const checkpoint = optionalMessage(fields, 5, 'the checkpoint');
  return {
    logIndex: intField(fields, 1, 'the proof log index'),
    rootHash: bytesField(fields, 2, 'the root hash'),
    treeSize: intField(fields, 3, 'the tree size'),
    hashes,
    checkpoint:
      checkpoint === undefined
        ? undefined
        : { envelope: bytesField(checkpoint, 1, 'the checkpoint envelope').toString('utf8') },
  };
}

function pemOf(certificateDer: Buffer): string {
  const base64 = certificateDer.toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The canonical (RFC 8785, keys sorted) hashedrekord v0.0.1 body gitsign logged: the SHA-256 of
 * the DER signed attributes, the signature, and the certificate as PEM.
 */
export function hashedRekordBody(
  signedAttributes: Buffer,
  signature: Buffer,
  certificateDer: Buffer,
): Buffer {
  const body = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: {
        hash: {
          algorithm: 'sha256',
          value: createHash('sha256').update(signedAttributes).digest('hex'),
        },
      },
      signature: {
        content: signature.toString('base64'),
        publicKey: { content: Buffer.from(pemOf(certificateDer)).toString('base64') },
      },
    },
  };
  return Buffer.from(JSON.stringify(body));
}

function decodeEntry(proto: Buffer, body: Buffer): TransparencyLogEntry {
  const fields = fieldsOf(proto);
  const logId = fieldsOf(bytesField(fields, 2, 'the log id'));
  const kind = fieldsOf(bytesField(fields, 3, 'the kind and version'));
  const promise = optionalMessage(fields, 5, 'the inclusion promise');
  const proof = optionalMessage(fields, 6, 'the inclusion proof');
  const entry = {
    logIndex: intField(fields, 1, 'the log index'),
    logId: { keyId: bytesField(logId, 1, 'the log key id') },
    kindVersion: {
      kind: bytesField(kind, 1, 'the kind').toString('utf8'),
      version: bytesField(kind, 2, 'the version').toString('utf8'),
    },
    integratedTime: intField(fields, 4, 'the integrated time'),
    inclusionPromise:
      promise === undefined
        ? undefined
        : { signedEntryTimestamp: bytesField(promise, 1, 'the signed entry timestamp') },
    inclusionProof: proof === undefined ? undefined : inclusionProof(proof),
    canonicalizedBody: body,
  };
  if (entry.kindVersion.kind !== 'hashedrekord' || entry.kindVersion.version !== '0.0.1') {
    throw invalid('it is not a hashedrekord 0.0.1 entry');
  }
  return entry;
}

/** The log entry gitsign embedded, with the body this signature implies; throws TLOG_INVALID. */
export function gitsignRekorEntry(
  proto: Buffer,
  signedAttributes: Buffer,
  signature: Buffer,
  certificateDer: Buffer,
): TransparencyLogEntry {
  const body = hashedRekordBody(signedAttributes, signature, certificateDer);
  try {
    return decodeEntry(proto, body);
  } catch (error) {
    if (error instanceof SathosError) throw error;
    throw invalid(describeCause(error), error);
  }
}
