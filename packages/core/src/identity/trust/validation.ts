// Checks a trusted_root.json document ourselves before sigstore-js sees it: sigstore-js reads a
// missing `validFor.start` as "since the epoch" and undecodable keys as late crashes, and a root
// is the anchor of every verification, so every gap in it is a rejection.
// Format: https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_trustroot.proto
import { createPublicKey } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';

export const TRUSTED_ROOT_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
] as const;

const MEDIA_TYPE_FAMILY = 'application/vnd.dev.sigstore.trustedroot';
const LOG_LISTS = ['tlogs', 'ctlogs'] as const;
const AUTHORITY_LISTS = ['certificateAuthorities', 'timestampAuthorities'] as const;
const PKCS1_KEY_DETAILS = new Set([
  'PKCS1_RSA_PKCS1V5',
  'PKIX_RSA_PKCS1V5',
  'PKIX_RSA_PKCS1V15_2048_SHA256',
  'PKIX_RSA_PKCS1V15_3072_SHA256',
  'PKIX_RSA_PKCS1V15_4096_SHA256',
]);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the document at least claims to be a trusted root (so its flaws are a rejection). */
export function looksLikeTrustedRoot(value: unknown): value is Json {
  if (!isObject(value)) return false;
  const mediaType = value.mediaType;
  if (typeof mediaType === 'string' && mediaType.startsWith(MEDIA_TYPE_FAMILY)) return true;
  return [...LOG_LISTS, ...AUTHORITY_LISTS].some((key) => key in value);
}

function base64Problem(value: unknown, path: string): string[] {
  if (typeof value !== 'string' || !BASE64.test(value) || value.length % 4 !== 0) {
    return [`${path} must be non-empty base64`];
  }
  return [];
}

function dateProblem(value: unknown, path: string): string[] {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    return [`${path} must be an RFC 3339 time`];
  }
  return [];
}

/** A validity window must have a start; an end, when present, must not precede it. */
export function validForProblems(value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path} is missing (a validity window with a start is required)`];
  // protobuf JSON reads null as absent
  if (value.start === undefined || value.start === null) return [`${path}.start is missing`];
  const problems = dateProblem(value.start, `${path}.start`);
  if (value.end !== undefined && value.end !== null) {
    problems.push(...dateProblem(value.end, `${path}.end`));
    if (
      problems.length === 0 &&
      Date.parse(value.end as string) < Date.parse(value.start as string)
    ) {
      problems.push(`${path}.end precedes its start`);
    }
  }
  return problems;
}

function keyProblems(value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path} is missing`];
  // PublicKey.valid_for is optional in the proto (absent: the key has no window); a window
  // that is present must have its start.
  const window = value.validFor;
  const problems = [
    ...base64Problem(value.rawBytes, `${path}.rawBytes`),
    ...(window === undefined || window === null
      ? []
      : validForProblems(window, `${path}.validFor`)),
  ];
  if (typeof value.keyDetails !== 'string') problems.push(`${path}.keyDetails must be a string`);
  if (problems.length > 0) return problems;
  const type = PKCS1_KEY_DETAILS.has(value.keyDetails as string) ? 'pkcs1' : 'spki';
  try {
    createPublicKey({ key: Buffer.from(value.rawBytes as string, 'base64'), format: 'der', type });
  } catch {
    problems.push(`${path}.rawBytes is not a decodable ${type} public key`);
  }
  return problems;
}

function logProblems(value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const problems = keyProblems(value.publicKey, `${path}.publicKey`);
  const logId = value.logId;
  if (!isObject(logId)) problems.push(`${path}.logId is missing`);
  else problems.push(...base64Problem(logId.keyId, `${path}.logId.keyId`));
  return problems;
}

function certificateProblems(value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const problems = base64Problem(value.rawBytes, `${path}.rawBytes`);
  if (problems.length > 0) return problems;
  try {
    X509Certificate.parse(Buffer.from(value.rawBytes as string, 'base64'));
  } catch {
    problems.push(`${path}.rawBytes is not a decodable X.509 certificate`);
  }
  return problems;
}

/** True when a window is present but has no start (absent or null). */
function lacksStart(window: unknown): boolean {
  return !isObject(window) || window.start === undefined || window.start === null;
}

// A CA or TSA window without a start is bounded by its own certificates instead (see
// `boundAuthorityWindows`); any other flaw in the window is a problem.
function authorityProblems(value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const window = value.validFor;
  const problems = lacksStart(window)
    ? isObject(window) && window.end !== undefined && window.end !== null
      ? dateProblem(window.end, `${path}.validFor.end`)
      : []
    : validForProblems(window, `${path}.validFor`);
  const chain = isObject(value.certChain) ? value.certChain.certificates : undefined;
  if (!Array.isArray(chain) || chain.length === 0) {
    problems.push(`${path}.certChain.certificates must be a non-empty list`);
  } else {
    chain.forEach((c, i) =>
      problems.push(...certificateProblems(c, `${path}.certChain.certificates[${i}]`)),
    );
  }
  return problems;
}

function listProblems(
  root: Json,
  key: string,
  check: (value: unknown, path: string) => string[],
): string[] {
  const list = root[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [`${key} must be a list`];
  return list.flatMap((entry, i) => check(entry, `${key}[${i}]`));
}

/** Every problem of a trusted root document; empty when it may be used. */
export function trustedRootProblems(root: Json): string[] {
  const problems: string[] = [];
  const mediaType = root.mediaType;
  if (!(TRUSTED_ROOT_MEDIA_TYPES as readonly unknown[]).includes(mediaType)) {
    problems.push(`mediaType ${JSON.stringify(mediaType)} is not a supported trusted root version`);
  }
  for (const key of LOG_LISTS) problems.push(...listProblems(root, key, logProblems));
  for (const key of AUTHORITY_LISTS) problems.push(...listProblems(root, key, authorityProblems));
  return problems;
}

/** The latest notBefore of a chain: no certificate of it is valid earlier. */
function chainStart(certificates: readonly { readonly rawBytes: Buffer }[]): Date | undefined {
  const starts = certificates.map((c) =>
    X509Certificate.parse(Buffer.from(c.rawBytes)).notBefore.getTime(),
  );
  return starts.length === 0 ? undefined : new Date(Math.max(...starts));
}

interface Authority {
  validFor?: { start?: Date | undefined; end?: Date | undefined } | undefined;
  certChain?: { certificates: { rawBytes: Buffer }[] } | undefined;
}

/**
 * sigstore-js reads a CA or TSA window without a start as "since 1970". We bound it by the chain's
 * own validity instead, so a root never trusts an authority before its certificates existed.
 */
export function boundAuthorityWindows(authorities: readonly Authority[]): void {
  for (const authority of authorities) {
    if (authority.validFor?.start !== undefined) continue;
    const start = chainStart(authority.certChain?.certificates ?? []);
    if (start === undefined) continue;
    authority.validFor = { start, ...(authority.validFor?.end && { end: authority.validFor.end }) };
  }
}
