// The RFC 3161 TimeStampToken gitsign stores in the id-aa-timeStampToken attribute, made readable
// for @sigstore/core: its RFC3161Timestamp parses a whole TimeStampResp (status + token), which is
// what Sigstore bundles carry, so the bare token is wrapped in a granted status first.
// https://www.rfc-editor.org/rfc/rfc3161#section-2.4.2
import { RFC3161Timestamp } from '@sigstore/core';
import * as asn1js from 'asn1js';
import { SathosError, describeCause } from '../../../errors.js';

/** PKIStatusInfo { status granted (0) } (RFC 3161 §2.4.2), DER. */
const GRANTED = Buffer.from(
  new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 })] }).toBER(false),
);

/** A DER SEQUENCE header for `length` content bytes (definite length, short or long form). */
function sequenceHeader(length: number): Buffer {
  if (length < 0x80) return Buffer.from([0x30, length]);
  const digits: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) digits.unshift(n % 256);
  return Buffer.from([0x30, 0x80 | digits.length, ...digits]);
}

/** The token as a parsed RFC3161Timestamp; throws TIMESTAMP_INVALID when it is not one. */
export function timestampFromToken(token: Buffer): RFC3161Timestamp {
  const content = Buffer.concat([GRANTED, token]);
  const response = Buffer.concat([sequenceHeader(content.length), content]);
  try {
    const timestamp = RFC3161Timestamp.parse(response);
    // Read what verification reads first, so a malformed token fails here with our code.
    const probes: unknown[] = [
      timestamp.signingTime,
      timestamp.signerIssuer,
      timestamp.signerSerialNumber,
      timestamp.signerDigestAlgorithm,
    ];
    if (probes.some((p) => p === undefined)) throw new Error('a required field is missing');
    return timestamp;
  } catch (cause) {
    throw new SathosError(
      'TIMESTAMP_INVALID',
      `the RFC 3161 timestamp token is malformed (${describeCause(cause)}); re-sign the commit with a timestamp authority`,
      { cause },
    );
  }
}
