// The little DER that reading a gitsign CMS needs on top of @sigstore/core's ASN1Obj parser: the
// identifier octets it checks and re-encoding a value under a given tag.
import type { ASN1Obj } from '@sigstore/core';

// The DER identifier octets read here (X.690 8.1.2): universal types and the context-specific
// [0]/[1] tags of RFC 5652's IMPLICIT and EXPLICIT fields.
export const INTEGER = 0x02;
export const OCTET_STRING = 0x04;
export const OBJECT_IDENTIFIER = 0x06;
export const UTC_TIME = 0x17;
export const SEQUENCE = 0x30;
export const SET = 0x31;
export const CONTEXT_0_PRIMITIVE = 0x80;
export const CONTEXT_0 = 0xa0;
export const CONTEXT_1 = 0xa1;

export const tagOf = (value: ASN1Obj): number => value.tag.toDER();

/** A DER header (identifier and definite length) for `length` content bytes. */
export function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const digits: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) digits.unshift(n % 256);
  return Buffer.from([tag, 0x80 | digits.length, ...digits]);
}

/** The value's encoding under `tag`: its own tag, or the SET an IMPLICIT [0] stands for. */
export const encoded = (value: ASN1Obj, tag = tagOf(value)): Buffer<ArrayBuffer> =>
  Buffer.concat([derHeader(tag, value.value.length), value.value]);
