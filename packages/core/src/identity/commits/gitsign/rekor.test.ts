import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { SathosError } from '../../../errors.js';
import { gitsignRekorEntry, hashedRekordBody } from './rekor.js';

const attrs = Buffer.from('signed attributes');
const sig = Buffer.from('signature');
const cert = Buffer.from('certificate');

interface EntryFields {
  readonly kind?: string;
  readonly withLogId?: boolean;
  readonly logIndexTwice?: boolean;
}

function entryProto(fields: EntryFields = {}): Buffer {
  const w = new BinaryWriter();
  w.uint32(8).int64(42);
  if (fields.logIndexTwice === true) w.uint32(8).int64(43);
  if (fields.withLogId !== false)
    w.uint32(18).bytes(new BinaryWriter().uint32(10).bytes(Buffer.alloc(32, 1)).finish());
  const kv = new BinaryWriter()
    .uint32(10)
    .string(fields.kind ?? 'hashedrekord')
    .uint32(18)
    .string('0.0.1')
    .finish();
  w.uint32(26).bytes(kv);
  w.uint32(32).int64(1_700_000_000);
  w.uint32(42).bytes(new BinaryWriter().uint32(10).bytes(Buffer.from('set')).finish());
  return Buffer.from(w.finish());
}

function rejects(proto: Buffer, message: RegExp): void {
  assert.throws(
    () => gitsignRekorEntry(proto, attrs, sig, cert),
    (error: unknown) =>
      error instanceof SathosError && error.code === 'TLOG_INVALID' && message.test(error.message),
  );
}

describe('gitsignRekorEntry', () => {
  describe('when the entry is well formed', () => {
    it('decodes it and attaches the body this signature implies', () => {
      const entry = gitsignRekorEntry(entryProto(), attrs, sig, cert);
      assert.equal(entry.logIndex, '42');
      assert.equal(entry.integratedTime, '1700000000');
      assert.deepEqual(entry.kindVersion, { kind: 'hashedrekord', version: '0.0.1' });
      assert.deepEqual(entry.inclusionPromise?.signedEntryTimestamp, Buffer.from('set'));
      assert.equal(entry.inclusionProof, undefined);
      assert.deepEqual(entry.canonicalizedBody, hashedRekordBody(attrs, sig, cert));
    });
  });

  describe('when the body is rebuilt', () => {
    it('is canonical JSON with sorted keys, the signed attributes hashed and the certificate as PEM', () => {
      const body = JSON.parse(hashedRekordBody(attrs, sig, cert).toString('utf8')) as {
        spec: { data: { hash: { value: string } }; signature: { publicKey: { content: string } } };
      };
      const digest = createHash('sha256').update('signed attributes').digest('hex');
      assert.equal(body.spec.data.hash.value, digest);
      const pem = Buffer.from(body.spec.signature.publicKey.content, 'base64').toString('utf8');
      assert.match(
        pem,
        /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=]+\n-----END CERTIFICATE-----\n$/,
      );
      assert.match(
        hashedRekordBody(attrs, sig, cert).toString('utf8'),
        /^\{"apiVersion":"0\.0\.1","kind":"hashedrekord","spec":\{"data"/,
      );
    });
  });

  describe('when the entry is hostile or malformed', () => {
    it('rejects bytes that are not protobuf', () => {
      rejects(
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        /malformed/,
      );
    });
    it('rejects an empty entry', () => {
      rejects(Buffer.alloc(0), /must appear once/);
    });
    it('rejects an entry without a log id', () => {
      rejects(entryProto({ withLogId: false }), /the log id must appear once/);
    });
    it('rejects a repeated field', () => {
      rejects(entryProto({ logIndexTwice: true }), /the log index must appear once/);
    });
    it('rejects another kind of entry', () => {
      rejects(entryProto({ kind: 'dsse' }), /not a hashedrekord 0\.0\.1 entry/);
    });
  });
});
