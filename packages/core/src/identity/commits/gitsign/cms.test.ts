// gitsign's CMS read on its own: a real offline-mode gitsign commit (test/commits/fixtures) gives
// its certificate, digest, signed attributes and Rekor entry; every structural lie built from it
// (two signers, encapsulated content, a weak digest, a certificate missing or doubled, attributes
// missing or repeated) is refused as a malformed signature naming what is wrong.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SathosError } from '../../../errors.js';
import { parseCommit } from '../git/commit-object.js';
import {
  OID_MESSAGE_DIGEST,
  OID_REKOR_ENTRY,
  OID_SIGNED_DATA,
  parseGitsignSignature,
} from './cms.js';

const offline = parseCommit(
  '0'.repeat(40),
  readFileSync(
    new URL('../../../../../../test/commits/fixtures/gitsign-offline.commit', import.meta.url),
  ),
);
const ARMORED = offline.signature ?? assert.fail('the fixture is signed');

function derOf(armored: string): Buffer {
  const body = armored.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return Buffer.from(body.join(''), 'base64');
}

function armor(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN SIGNED MESSAGE-----\n${lines.join('\n')}\n-----END SIGNED MESSAGE-----\n`;
}

/** The fixture's SignedData, changed by `edit`, re-encoded and armored. */
function edited(edit: (signed: pkijs.SignedData, signer: pkijs.SignerInfo) => void): string {
  const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(derOf(ARMORED)).result });
  const signed = new pkijs.SignedData({ schema: info.content as asn1js.AsnType });
  edit(signed, signed.signerInfos[0] as pkijs.SignerInfo);
  const out = new pkijs.ContentInfo({
    contentType: OID_SIGNED_DATA,
    content: signed.toSchema(true),
  });
  return armor(new Uint8Array(out.toSchema().toBER(false)));
}

function refused(armored: string, pattern: RegExp): void {
  assert.throws(
    () => parseGitsignSignature(armored),
    (error: unknown) => {
      assert.ok(error instanceof SathosError, `not a SathosError: ${String(error)}`);
      assert.equal(error.code, 'SIGNATURE_INVALID', error.message);
      assert.match(error.message, /^malformed gitsign signature: /);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

const attribute = (type: string, value: asn1js.AsnType) =>
  new pkijs.Attribute({ type, values: [value] });

void describe('parseGitsignSignature', () => {
  void it('reads a real gitsign signature: its certificate, digest and Rekor entry', () => {
    const cms = parseGitsignSignature(ARMORED);
    assert.equal(cms.digestAlgorithm, 'sha256');
    assert.deepEqual(cms.messageDigest, createHash('sha256').update(offline.payload).digest());
    assert.match(cms.certificate.subjectAltName ?? '', /billy@chainguard\.dev/);
    assert.ok(cms.rekorEntry !== undefined && cms.rekorEntry.length > 0);
    assert.equal(cms.timestampToken, undefined);
    assert.equal(cms.signedAttributes[0], 0x31, 'signed attributes are re-tagged as a DER SET');
  });

  void it('re-encoding the unchanged structure reads the same (the edits below change one thing)', () => {
    const cms = parseGitsignSignature(edited(() => undefined));
    assert.deepEqual(cms.messageDigest, parseGitsignSignature(ARMORED).messageDigest);
  });

  void it('finds the certificate a SignerInfo names by subject key identifier', () => {
    const ski = parseGitsignSignature(ARMORED).certificate.extSubjectKeyID?.keyIdentifier;
    assert.ok(ski !== undefined, 'the fixture certificate has a subject key identifier');
    const byKeyId = edited((_, one) => {
      one.sid = new asn1js.Primitive({
        idBlock: { tagClass: 3, tagNumber: 0 },
        valueHex: new Uint8Array(ski),
      });
    });
    assert.match(parseGitsignSignature(byKeyId).certificate.subjectAltName ?? '', /billy@/);
    const otherKeyId = edited((_, one) => {
      one.sid = new asn1js.Primitive({
        idBlock: { tagClass: 3, tagNumber: 0 },
        valueHex: new Uint8Array(ski.length),
      });
    });
    refused(otherKeyId, /no certificate in it matches the signer/);
  });

  const cases: [string, () => string, RegExp][] = [
    [
      'bytes after the ContentInfo',
      () => armor(Buffer.concat([derOf(ARMORED), Buffer.from([0x05, 0x00])])),
      /not one DER value/,
    ],
    ['broken armor', () => ARMORED.replace('-----END SIGNED MESSAGE-----', ''), /armor/],
    ['truncated DER', () => armor(derOf(ARMORED).subarray(0, 200)), /not one DER value/],
    ['two signers', () => edited((s, one) => s.signerInfos.push(one)), /2 signers/],
    ['no signer', () => edited((s) => s.signerInfos.splice(0)), /0 signers/],
    [
      'content encapsulated (not detached)',
      () =>
        edited((s) => {
          s.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: new Uint8Array([1]) });
        }),
      /not detached/,
    ],
    [
      'a SHA-1 digest',
      () =>
        edited((_, one) => {
          one.digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.14.3.2.26' });
        }),
      /digest algorithm 1\.3\.14\.3\.2\.26 is not supported/,
    ],
    [
      'an RSA signature algorithm',
      () =>
        edited((_, one) => {
          one.signatureAlgorithm = new pkijs.AlgorithmIdentifier({
            algorithmId: '1.2.840.113549.1.1.11',
          });
        }),
      /signature algorithm .*ECDSA/,
    ],
    ['no certificate', () => edited((s) => s.certificates?.splice(0)), /no certificate/],
    [
      'the certificate twice',
      () => edited((s) => s.certificates?.push(...(s.certificates ?? []))),
      /more than one certificate/,
    ],
    [
      'no signed attributes',
      () =>
        edited((_, one) => {
          delete one.signedAttrs;
        }),
      /no signed attributes/,
    ],
    [
      'no messageDigest',
      () =>
        edited((_, one) => {
          const attrs = one.signedAttrs?.attributes ?? [];
          attrs.splice(
            attrs.findIndex((a) => a.type === OID_MESSAGE_DIGEST),
            1,
          );
        }),
      /messageDigest attribute is missing/,
    ],
    [
      'messageDigest twice',
      () =>
        edited((_, one) => {
          const attrs = one.signedAttrs?.attributes ?? [];
          const digest = attrs.find((a) => a.type === OID_MESSAGE_DIGEST);
          if (digest !== undefined) attrs.push(digest);
        }),
      /messageDigest attribute must appear once/,
    ],
    [
      'a Rekor entry that is not an OCTET STRING',
      () =>
        edited((_, one) => {
          const attrs = one.unsignedAttrs?.attributes ?? [];
          const at = attrs.findIndex((a) => a.type === OID_REKOR_ENTRY);
          attrs[at] = attribute(OID_REKOR_ENTRY, new asn1js.Integer({ value: 1 }));
        }),
      /Rekor entry attribute is not an OCTET STRING/,
    ],
  ];
  for (const [name, build, pattern] of cases) {
    void it(`refuses ${name}`, () => {
      refused(build(), pattern);
    });
  }
});
