// Red-team of gitsign verification with keys that really sign: CMS signatures built field by field
// (DER written here, not by pkijs, so each field can lie on its own) with Fulcio certificates and
// RFC 3161 tokens from the loopback Sigstore stand-in. Every lie is signed validly by a real key, so
// only the check it targets stands between it and "verified": a certificate bag naming one signer
// while another key signed, a subject key identifier pointing at someone else's certificate, the
// digestAlgorithm or signatureAlgorithm field disagreeing with what was hashed, a contentType other
// than id-data, two messageDigests, attributes re-ordered after signing, and a timestamp token that
// covers another signature by the same key.
import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { X509Certificate } from '@sigstore/core';
import { SathosError, trustFromJSON, type ErrorCode, type Trust } from '@sathos/core';
import { startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { verifyGitsignSignature } from '../../packages/core/src/identity/commits/gitsign/verify.js';
import {
  ALICE,
  armor,
  gitsignSigner,
  standInStamp,
  type GitsignSigner,
} from './gitsign-builder.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  timeStampToken: '1.2.840.113549.1.9.16.2.14',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const header = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from(header), body]);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const digits = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128))
      digits.unshift(0x80 | (v & 0x7f));
    bytes.push(...digits);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const algorithm = (dotted: string): Buffer => seq(oid(dotted));
const attribute = (type: string, value: Buffer): Buffer => seq(oid(type), tlv(0x31, value));
const sha = (name: string, data: Buffer): Buffer => createHash(name).update(data).digest();

interface Lie {
  /** The certificates in the bag (DER), in order; the signer's alone unless said. */
  readonly bag?: readonly Buffer[];
  /** The SignerIdentifier's DER; issuer and serial of `names` (the signer unless said). */
  readonly sid?: Buffer;
  readonly names?: Buffer;
  readonly digestAlgorithm?: string;
  readonly signatureAlgorithm?: string;
  /** The hash the key really signs the attributes with. */
  readonly signHash?: string;
  /** The signed attributes, in order; contentType id-data and messageDigest of the payload unless said. */
  readonly attributes?: (payload: Buffer) => Buffer[];
  /** Stores the attributes in another order than the one signed. */
  readonly storeReversed?: boolean;
  /** The timestamp token covers these bytes instead of this signature. */
  readonly stampOver?: Buffer;
}

const parse = (der: Buffer): X509Certificate => X509Certificate.parse(Buffer.from(der));

function issuerAndSerial(certificate: Buffer): Buffer {
  const cert = parse(certificate);
  return seq(tlv(0x30, cert.issuer), tlv(0x02, cert.serialNumber));
}

describe('gitsign verification against signed lies (loopback Sigstore stand-in)', () => {
  let standIn: SigstoreStandIn;
  let trust: Trust;
  let alice: GitsignSigner;
  let mallory: GitsignSigner;
  const payload = Buffer.from('tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nsigned\n');

  before(async () => {
    standIn = await startSigstoreStandIn();
    trust = trustFromJSON(standIn.trustedRoot, 'stand-in');
    alice = await gitsignSigner(standIn, ALICE);
    mallory = await gitsignSigner(standIn, {
      sub: 'mallory',
      iss: 'https://accounts.example.com',
      email: 'mallory@example.com',
      email_verified: true,
    });
  });
  after(async () => standIn.close());

  /** A gitsign-shaped CMS over `payload`, signed by `signer`'s key, with `lie` applied. */
  async function cms(signer: GitsignSigner, lie: Lie = {}, over = payload): Promise<string> {
    const attributes = lie.attributes?.(over) ?? [
      attribute(OID.contentType, oid(OID.data)),
      attribute(OID.messageDigest, tlv(0x04, sha('sha256', over))),
    ];
    const signedSet = tlv(0x31, ...attributes);
    const signature = sign(lie.signHash ?? 'sha256', signedSet, signer.privateKey);
    const stored = lie.storeReversed === true ? [...attributes].reverse() : attributes;
    const token = await standInStamp(standIn)(sha('sha256', lie.stampOver ?? signature));
    const signerInfo = seq(
      tlv(0x02, Buffer.from([1])),
      lie.sid ?? issuerAndSerial(lie.names ?? signer.certificate),
      algorithm(lie.digestAlgorithm ?? OID.sha256),
      tlv(0xa0, ...stored),
      algorithm(lie.signatureAlgorithm ?? OID.ecdsaSha256),
      tlv(0x04, signature),
      tlv(0xa1, attribute(OID.timeStampToken, token)),
    );
    const signedData = seq(
      tlv(0x02, Buffer.from([1])),
      tlv(0x31, algorithm(OID.sha256)),
      seq(oid(OID.data)),
      tlv(0xa0, ...(lie.bag ?? [signer.certificate])),
      tlv(0x31, signerInfo),
    );
    return armor(seq(oid(OID.signedData), tlv(0xa0, signedData)));
  }

  function refused(armored: string, code: ErrorCode, pattern: RegExp): void {
    assert.throws(
      () => verifyGitsignSignature(armored, payload, trust),
      (error: unknown) => {
        assert.ok(error instanceof SathosError, `not a SathosError: ${String(error)}`);
        assert.equal(error.code, code, error.message);
        assert.match(error.message, pattern);
        return true;
      },
    );
  }

  it('the control: the honest construction verifies as its signer', async () => {
    const verified = verifyGitsignSignature(await cms(alice), payload, trust);
    assert.equal(verified.signer.subject, 'alice@example.com');
  });

  describe('certificate bag confusion', () => {
    it("refuses mallory's signature naming alice's certificate (issuer and serial) in a bag of both", async () => {
      const armored = await cms(mallory, {
        bag: [alice.certificate, mallory.certificate],
        names: alice.certificate,
      });
      refused(armored, 'SIGNATURE_INVALID', /signature/);
    });

    it("refuses mallory's signature naming alice's subject key identifier", async () => {
      const ski = parse(alice.certificate).extSubjectKeyID?.keyIdentifier;
      assert.ok(ski !== undefined, 'the stand-in certificate has a subject key identifier');
      const armored = await cms(mallory, {
        bag: [mallory.certificate, alice.certificate],
        sid: tlv(0x80, ski),
      });
      refused(armored, 'SIGNATURE_INVALID', /signature/);
    });

    it("with alice's certificate beside his own, mallory's signature verifies only as mallory", async () => {
      // The stand-in Fulcio gives every certificate one serial number, so issuer and serial name
      // both certificates: that is refused as ambiguous, never resolved to the first or the last.
      const bag = [alice.certificate, mallory.certificate];
      refused(
        await cms(mallory, { bag }),
        'SIGNATURE_INVALID',
        /more than one certificate matches/,
      );
      const ski = parse(mallory.certificate).extSubjectKeyID?.keyIdentifier;
      assert.ok(ski !== undefined, 'the stand-in certificate has a subject key identifier');
      const armored = await cms(mallory, { bag, sid: tlv(0x80, ski) });
      const verified = verifyGitsignSignature(armored, payload, trust);
      assert.equal(verified.signer.subject, 'mallory@example.com');
      const fingerprint = `sha256:${sha('sha256', mallory.certificate).toString('hex')}`;
      assert.equal(verified.fingerprint, fingerprint);
    });

    it("refuses alice's certificate twice under one identifier (issuer and serial)", async () => {
      const armored = await cms(alice, { bag: [alice.certificate, alice.certificate] });
      refused(armored, 'SIGNATURE_INVALID', /more than one certificate matches/);
    });
  });

  describe('algorithm confusion', () => {
    it('refuses a digestAlgorithm field (SHA-384) other than the hash of the messageDigest', async () => {
      refused(
        await cms(alice, { digestAlgorithm: OID.sha384 }),
        'SIGNATURE_INVALID',
        /messageDigest differs/,
      );
    });

    it('refuses a messageDigest of SHA-384 under a SHA-256 digestAlgorithm', async () => {
      const armored = await cms(alice, {
        attributes: (over) => [
          attribute(OID.contentType, oid(OID.data)),
          attribute(OID.messageDigest, tlv(0x04, sha('sha384', over))),
        ],
      });
      refused(armored, 'SIGNATURE_INVALID', /messageDigest differs/);
    });

    it('refuses ecdsa-with-SHA384 named over a signature made with SHA-256', async () => {
      refused(
        await cms(alice, { signatureAlgorithm: OID.ecdsaSha384 }),
        'SIGNATURE_INVALID',
        /signature/,
      );
    });

    it('refuses a SHA-384 signature when ecPublicKey defers to a SHA-256 digestAlgorithm', async () => {
      refused(
        await cms(alice, { signatureAlgorithm: OID.ecPublicKey, signHash: 'sha384' }),
        'SIGNATURE_INVALID',
        /signature/,
      );
    });
  });

  describe('signed attribute lies (signed by the key itself)', () => {
    it('refuses a contentType other than id-data', async () => {
      const armored = await cms(alice, {
        attributes: (over) => [
          attribute(OID.contentType, oid(OID.signedData)),
          attribute(OID.messageDigest, tlv(0x04, sha('sha256', over))),
        ],
      });
      refused(armored, 'SIGNATURE_INVALID', /contentType attribute is missing or not id-data/);
    });

    it('refuses two messageDigest attributes, one of another payload', async () => {
      const armored = await cms(alice, {
        attributes: (over) => [
          attribute(OID.contentType, oid(OID.data)),
          attribute(OID.messageDigest, tlv(0x04, sha('sha256', Buffer.from('another commit')))),
          attribute(OID.messageDigest, tlv(0x04, sha('sha256', over))),
        ],
      });
      refused(armored, 'SIGNATURE_INVALID', /messageDigest attribute must appear once/);
    });

    it('refuses one messageDigest attribute holding two values', async () => {
      const armored = await cms(alice, {
        attributes: (over) => [
          attribute(OID.contentType, oid(OID.data)),
          seq(
            oid(OID.messageDigest),
            tlv(
              0x31,
              tlv(0x04, sha('sha256', over)),
              tlv(0x04, sha('sha256', Buffer.from('another commit'))),
            ),
          ),
        ],
      });
      refused(armored, 'SIGNATURE_INVALID', /messageDigest attribute must appear once/);
    });

    it('refuses the attributes stored in another order than signed', async () => {
      refused(await cms(alice, { storeReversed: true }), 'SIGNATURE_INVALID', /signature/);
    });

    it("refuses a real signature of another commit (its messageDigest is that commit's)", async () => {
      const other = await cms(alice, {}, Buffer.from('tree 0000\n\nanother commit\n'));
      refused(other, 'SIGNATURE_INVALID', /messageDigest differs/);
    });
  });

  describe('timestamp confusion', () => {
    it("refuses a token over another signature by the same key (that signature's imprint)", async () => {
      const earlier = sign('sha256', Buffer.from('an earlier signed set'), alice.privateKey);
      refused(await cms(alice, { stampOver: earlier }), 'TIMESTAMP_INVALID', /signing time/);
    });
  });
});
