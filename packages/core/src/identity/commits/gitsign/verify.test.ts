import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { SathosError, type ErrorCode } from '../../../errors.js';
import { parseCommit, type GitCommit } from '../git/commit-object.js';
import { parseGitsignSignature } from './cms.js';
import { gitsignRekorEntry } from './rekor.js';
import { verifyGitsignSignature } from './verify.js';
import { githubTrust, publicGoodTrust } from '../../trust/trusted-root.js';

// Real gitsign commits from public-good Sigstore (see test/commits/fixtures/README.md).
const fixture = (name: string): GitCommit =>
  parseCommit(
    '0'.repeat(40),
    readFileSync(new URL(`../../../../../../test/commits/fixtures/${name}`, import.meta.url)),
  );

function signatureOf(commit: GitCommit): string {
  assert.ok(commit.signature !== undefined);
  return commit.signature;
}

function derOf(armored: string): Buffer {
  const body = armored.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return Buffer.from(body.join(''), 'base64');
}

function armor(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN SIGNED MESSAGE-----\n${lines.join('\n')}\n-----END SIGNED MESSAGE-----\n`;
}

function rejects(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SathosError, `not a SathosError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe('verifyGitsignSignature', () => {
  const offline = fixture('gitsign-offline.commit');
  const online = fixture('gitsign-online.commit');

  describe('when a real offline-mode gitsign commit is verified against public-good', () => {
    it('verifies it, with the Rekor integrated time as the verified signing time', () => {
      const verified = verifyGitsignSignature(
        signatureOf(offline),
        offline.payload,
        publicGoodTrust(),
      );
      assert.equal(verified.signer.subject, 'billy@chainguard.dev');
      assert.equal(verified.signer.issuer, 'https://accounts.google.com');
      assert.match(verified.fingerprint, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(verified.times, [
        { time: new Date('2023-06-05T16:11:20Z'), source: 'transparency log' },
      ]);
    });
  });

  describe('when the commit content was changed after signing', () => {
    it('rejects it: the messageDigest does not cover it', () => {
      const altered = Buffer.from(offline.payload.toString('utf8').replace('Billy', 'Mallory'));
      rejects(
        () => verifyGitsignSignature(signatureOf(offline), altered, publicGoodTrust()),
        'SIGNATURE_INVALID',
        /changed after signing/,
      );
    });
  });

  describe("when the embedded Rekor entry's signed entry timestamp was tampered with", () => {
    it('rejects it as TLOG_INVALID', () => {
      const der = derOf(signatureOf(offline));
      const cms = parseGitsignSignature(signatureOf(offline));
      assert.ok(cms.rekorEntry !== undefined);
      const entry = gitsignRekorEntry(
        cms.rekorEntry,
        cms.signedAttributes,
        cms.signature,
        cms.certificateDer,
      );
      const set = entry.inclusionPromise?.signedEntryTimestamp;
      assert.ok(set !== undefined);
      const at = der.indexOf(set);
      assert.ok(at > 0);
      const tampered = Buffer.from(der);
      const target = at + 20;
      tampered[target] = (tampered[target] ?? 0) ^ 0x01;
      rejects(
        () => verifyGitsignSignature(armor(tampered), offline.payload, publicGoodTrust()),
        'TLOG_INVALID',
      );
    });
  });

  describe('when the trusted root does not hold the Fulcio CA that issued the certificate', () => {
    it("rejects it (GitHub's instance never certified this signer)", () => {
      rejects(
        () => verifyGitsignSignature(signatureOf(offline), offline.payload, githubTrust()),
        'CERTIFICATE_INVALID',
      );
    });
  });

  describe('when an online-mode gitsign commit carries no timestamp and no Rekor entry', () => {
    it('rejects it, saying gitsign needs a timestamp authority or offline Rekor', () => {
      rejects(
        () => verifyGitsignSignature(signatureOf(online), online.payload, publicGoodTrust()),
        'TIMESTAMP_INVALID',
        /timestamp authority .*offline Rekor/,
      );
    });
  });

  describe('when the signature is malformed', () => {
    const der = derOf(signatureOf(offline));
    const cases: readonly [string, string][] = [
      ['the armor is broken', '-----BEGIN SIGNED MESSAGE-----\nMIIB\n'],
      ['the body is not DER', armor(Buffer.from('not a CMS at all'))],
      ['the DER is truncated', armor(der.subarray(0, der.length - 40))],
      ['bytes trail the DER', armor(Buffer.concat([der, Buffer.from([0])]))],
      [
        'the ContentInfo is not SignedData',
        armor(
          Buffer.from(
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' }),
                new asn1js.Constructed({
                  idBlock: { tagClass: 3, tagNumber: 0 },
                  value: [new asn1js.OctetString({ valueHex: new Uint8Array([1]) })],
                }),
              ],
            }).toBER(false),
          ),
        ),
      ],
      ['it is an empty SEQUENCE', armor(Buffer.from([0x30, 0x00]))],
    ];
    for (const [what, signature] of cases) {
      it(`rejects it when ${what}, as SIGNATURE_INVALID, without crashing`, () => {
        rejects(
          () => verifyGitsignSignature(signature, offline.payload, publicGoodTrust()),
          'SIGNATURE_INVALID',
          /malformed gitsign signature/,
        );
      });
    }
  });
});
