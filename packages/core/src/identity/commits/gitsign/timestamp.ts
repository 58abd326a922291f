// The RFC 3161 TimeStampToken gitsign stores in the id-aa-timeStampToken attribute, made readable
// for @sigstore/core: its RFC3161Timestamp parses a whole TimeStampResp (status + token), which is
// what Sigstore bundles carry, so the bare token is wrapped in a granted status first.
// https://www.rfc-editor.org/rfc/rfc3161#section-2.4.2
import { RFC3161Timestamp } from '@sigstore/core';
import { SathosError, describeCause } from '../../../errors.js';
import { derHeader, SEQUENCE } from './der.js';

/** PKIStatusInfo { status granted (0) } (RFC 3161 §2.4.2), DER: SEQUENCE { INTEGER 0 }. */
const GRANTED = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);

/** The token as a parsed RFC3161Timestamp; throws TIMESTAMP_INVALID when it is not one. */
export function timestampFromToken(token: Buffer): RFC3161Timestamp {
  const content = Buffer.concat([GRANTED, token]);
  const response = Buffer.concat([derHeader(SEQUENCE, content.length), content]);
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
