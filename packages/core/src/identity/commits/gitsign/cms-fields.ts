// Reading a gitsign CMS positionally with @sigstore/core's DER parser: every element is taken
// at its place with its tag checked, no structure may carry fields past its last, and anything
// else is a malformed signature (SIGNATURE_INVALID) naming the field.
import { ASN1Obj } from '@sigstore/core';
import { SathosError, describeCause } from '../../../errors.js';
import { OBJECT_IDENTIFIER, SEQUENCE, SET, tagOf } from './der.js';

export function malformed(what: string, cause?: unknown): SathosError {
  return new SathosError(
    'SIGNATURE_INVALID',
    `malformed gitsign signature: ${what}; re-sign the commit with gitsign`,
    cause === undefined ? {} : { cause },
  );
}

/** Parses DER that must be exactly one ASN.1 value (no trailing bytes). */
export function parseDer(der: Buffer<ArrayBuffer>, what: string): ASN1Obj {
  try {
    return ASN1Obj.parseBuffer(der);
  } catch (error) {
    throw malformed(`${what} is not one DER value (${describeCause(error)})`, error);
  }
}

/** The `index`th element of a constructed value, which must carry `tag`. */
export function element(parent: ASN1Obj, index: number, tag: number, what: string): ASN1Obj {
  const found = parent.subs[index];
  if (found === undefined || tagOf(found) !== tag)
    throw malformed(`${what} is missing or mistyped`);
  return found;
}

export const oidOf = (value: ASN1Obj, what: string): string =>
  element(value, 0, OBJECT_IDENTIFIER, `the ${what} OID`).toOID();

/**
 * Refuses elements past the last field a structure has. The positional reading takes the fields
 * it knows and would otherwise ignore the rest: bytes no verifier reads, which pkijs's schemas and
 * gitsign's own parser refuse, and which make other commit ids for the same signature.
 */
export function noTrailing(value: ASN1Obj, fields: number, what: string): void {
  if (value.subs.length > fields) throw malformed(`${what} has trailing fields`);
}

/** An AlgorithmIdentifier (RFC 5280 4.1.1.2): its OID, then at most its parameters. */
export function algorithmOf(parent: ASN1Obj, index: number, what: string): string {
  const algorithm = element(parent, index, SEQUENCE, `the ${what}`);
  noTrailing(algorithm, 2, `the ${what}`);
  return oidOf(algorithm, what);
}

/** One attribute: its type and the SET of its values. */
export interface Attribute {
  readonly type: string;
  readonly values: ASN1Obj;
}

/** Attributes (RFC 5652 5.3), each exactly SEQUENCE { type OID, values SET }, by type. */
export function attributesOf(attrs: ASN1Obj | undefined, which: string): Attribute[] {
  return (attrs?.subs ?? []).map((attribute) => {
    const [type, values] = attribute.subs;
    if (
      tagOf(attribute) !== SEQUENCE ||
      attribute.subs.length !== 2 ||
      type === undefined ||
      tagOf(type) !== OBJECT_IDENTIFIER ||
      values === undefined ||
      tagOf(values) !== SET
    ) {
      throw malformed(`${which} attribute is not a type and a SET of values`);
    }
    return { type: type.toOID(), values };
  });
}

/** The single value of the attribute of this type; absent when the attribute is absent. */
export function onlyValue(
  attrs: readonly Attribute[],
  type: string,
  what: string,
): ASN1Obj | undefined {
  const found = attrs.filter((a) => a.type === type);
  if (found.length === 0) return undefined;
  const values = (found[0] as Attribute).values.subs;
  if (found.length > 1 || values.length !== 1) {
    throw malformed(`the ${what} attribute must appear once with one value`);
  }
  return values[0];
}
