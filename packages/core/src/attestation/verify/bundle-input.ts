// Turns untrusted bundle text into parsed Sigstore bundles, or says precisely why it cannot: size
// and depth limits first, then one JSON document or JSON Lines, then the bundle schema and version.
// Bundle format: https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_bundle.proto
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import { SathosError } from '../../errors.js';
import { nonBlankLines } from '../chain/text-lines.js';

/** A bundle file (JSON or JSON Lines) larger than this is refused unread. */
export const MAX_BUNDLE_FILE_BYTES = 32 * 1024 * 1024;
/** One bundle larger than this is refused (real bundles are a few KiB to a few hundred KiB). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;
/** More bundles than this in one file is refused. */
export const MAX_BUNDLES_PER_FILE = 100_000;
/** JSON nested deeper than this is refused (a bundle is about 8 levels deep). */
export const MAX_JSON_DEPTH = 64;
/**
 * Transparency-log entries, and RFC 3161 timestamps, one bundle may carry (real ones carry one or
 * two): sigstore-js compares every pair of them before checking any, so thousands cost minutes.
 */
export const MAX_BUNDLE_WITNESSES = 16;
/** Bad fields a schema error names at most; a hostile bundle can have hundreds of thousands. */
const MAX_NAMED_FIELDS = 5;

export const SUPPORTED_BUNDLE_MEDIA_TYPES = [
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
] as const;

/** One parsed but not yet verified JSON document from a bundle file, and where it came from. */
export interface BundleDocument {
  readonly where: string;
  readonly json: unknown;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Depth of nested objects/arrays, walked without recursion; stops counting past the limit. */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() ?? [undefined, 0];
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function parseDocument(text: string, where: string): BundleDocument {
  if (text.length > MAX_BUNDLE_BYTES) {
    throw new SathosError('TOO_LARGE', `bundle exceeds ${MAX_BUNDLE_BYTES} bytes`, { where });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    throw new SathosError('MALFORMED_BUNDLE', `not valid JSON${detail}`, { where, cause });
  }
  if (jsonDepth(json) > MAX_JSON_DEPTH) {
    throw new SathosError('MALFORMED_BUNDLE', `JSON nested deeper than ${MAX_JSON_DEPTH}`, {
      where,
    });
  }
  return { where, json };
}

/**
 * Splits a bundle file into documents: the whole text when it is one JSON value (pretty-printed
 * or not), otherwise JSON Lines where every non-empty line must be a bundle.
 */
export function parseBundleText(text: string, source: string): BundleDocument[] {
  if (text.length > MAX_BUNDLE_FILE_BYTES) {
    throw new SathosError('TOO_LARGE', `bundle file exceeds ${MAX_BUNDLE_FILE_BYTES} bytes`, {
      where: source,
    });
  }
  const filled: { line: string; number: number }[] = [];
  for (const { text: line, number } of nonBlankLines(text)) {
    if (filled.length >= MAX_BUNDLES_PER_FILE) {
      throw new SathosError('TOO_LARGE', `more than ${MAX_BUNDLES_PER_FILE} bundles in one file`, {
        where: source,
      });
    }
    filled.push({ line, number });
  }
  if (filled.length === 0) {
    throw new SathosError('MALFORMED_BUNDLE', 'the file holds no bundle', { where: source });
  }
  if (
    filled.length === 1 ||
    !filled.every(({ line }) => line.startsWith('{') && line.endsWith('}'))
  ) {
    return [parseDocument(text, source)];
  }
  return filled.map(({ line, number }) => parseDocument(line, `${source} line ${number}`));
}

function dsseSignatureCount(json: Json): number | undefined {
  const envelope = json.dsseEnvelope;
  if (!isObject(envelope)) return undefined;
  return Array.isArray(envelope.signatures) ? envelope.signatures.length : 0;
}

/** How many entries `list` holds, 0 when it is not a list. */
const count = (list: unknown): number => (Array.isArray(list) ? list.length : 0);

/** Refuses more log entries or timestamps than MAX_BUNDLE_WITNESSES, before anything compares them. */
function checkWitnessCounts(json: Json, at: { where?: string }): void {
  const material = isObject(json.verificationMaterial) ? json.verificationMaterial : {};
  const stamps = isObject(material.timestampVerificationData)
    ? material.timestampVerificationData.rfc3161Timestamps
    : undefined;
  for (const [n, what] of [
    [count(material.tlogEntries), 'transparency-log entries'],
    [count(stamps), 'RFC 3161 timestamps'],
  ] as const) {
    if (n > MAX_BUNDLE_WITNESSES) {
      throw new SathosError(
        'TOO_LARGE',
        `the bundle carries ${n} ${what}; at most ${MAX_BUNDLE_WITNESSES} are accepted (a signer makes one or two)`,
        at,
      );
    }
  }
}

/** The first few bad fields of a schema error, and how many more there are. */
function namedFields(fields: readonly unknown[]): string {
  const named = fields.slice(0, MAX_NAMED_FIELDS).map(String).join(', ');
  const more = fields.length - MAX_NAMED_FIELDS;
  return more > 0 ? `${named} and ${more} more` : named;
}

/** Checks the media type, then the bundle schema; returns sigstore-js's typed bundle. */
export function bundleFromDocument(json: unknown, where?: string): Bundle {
  const at = where === undefined ? {} : { where };
  if (!isObject(json)) {
    throw new SathosError('MALFORMED_BUNDLE', 'a bundle must be a JSON object', at);
  }
  const mediaType = json.mediaType;
  if (typeof mediaType !== 'string') {
    throw new SathosError('MALFORMED_BUNDLE', 'the bundle has no mediaType', at);
  }
  if (!(SUPPORTED_BUNDLE_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw new SathosError(
      'UNSUPPORTED_BUNDLE',
      `unsupported bundle media type ${JSON.stringify(mediaType.slice(0, 100))}; supported: Sigstore bundle v0.1, v0.2, v0.3`,
      at,
    );
  }
  const signatures = dsseSignatureCount(json);
  if (signatures !== undefined && signatures !== 1) {
    throw new SathosError(
      'MALFORMED_BUNDLE',
      `the DSSE envelope carries ${signatures} signatures; exactly one is required`,
      at,
    );
  }
  checkWitnessCounts(json, at);
  try {
    return bundleFromJSON(json);
  } catch (cause) {
    const fields = (cause as { fields?: unknown }).fields;
    const detail = Array.isArray(fields) ? `: bad ${namedFields(fields)}` : '';
    throw new SathosError('MALFORMED_BUNDLE', `not a valid Sigstore bundle${detail}`, {
      ...at,
      cause,
    });
  }
}
