// in-toto Statement v1 and ResourceDescriptor, with validation that reports every bad field at once.
// Spec: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
import { SathosError } from '../../errors.js';
import type { DigestSet } from '../../digest.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/**
 * JSON nesting of a statement, checked before its payload is parsed (a payload of a million
 * brackets costs seconds): a predicate read from a report nests at most 64 levels, with room.
 */
export const STATEMENT_MAX_DEPTH = 128;

/** https://github.com/in-toto/attestation/blob/main/spec/v1/resource_descriptor.md */
export interface ResourceDescriptor {
  readonly name?: string;
  readonly uri?: string;
  readonly digest?: DigestSet;
  readonly content?: string;
  readonly downloadLocation?: string;
  readonly mediaType?: string;
  readonly annotations?: Readonly<Record<string, unknown>>;
}

export interface Statement<P = unknown> {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: string;
  readonly predicate: P;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUri(value: string): boolean {
  return URL.canParse(value);
}

/** Collects the problems of one ResourceDescriptor; `path` prefixes each. */
export function resourceDescriptorProblems(
  value: unknown,
  path: string,
  asSubject: boolean,
): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const problems: string[] = [];
  for (const key of ['name', 'uri', 'content', 'downloadLocation', 'mediaType'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      problems.push(`${path}.${key} must be a string`);
    }
  }
  if (typeof value.uri === 'string' && !isUri(value.uri)) problems.push(`${path}.uri is not a URI`);
  const digest = value.digest;
  if (digest !== undefined) {
    if (!isObject(digest)) problems.push(`${path}.digest must be an object`);
    else {
      for (const [alg, hex] of Object.entries(digest)) {
        if (typeof hex !== 'string' || !/^[0-9a-fA-F]+$/.test(hex)) {
          problems.push(`${path}.digest.${alg} must be a hex string`);
        }
      }
    }
  }
  if (value.uri === undefined && value.digest === undefined && value.content === undefined) {
    problems.push(`${path} needs at least one of uri, digest, content`);
  }
  if (asSubject && (!isObject(digest) || Object.keys(digest).length === 0)) {
    problems.push(`${path}.digest is required for a subject`);
  }
  if (value.annotations !== undefined && !isObject(value.annotations)) {
    problems.push(`${path}.annotations must be an object`);
  }
  return problems;
}

/** Collects the problems of a Statement v1. Empty when valid. */
export function statementProblems(value: unknown): string[] {
  if (!isObject(value)) return ['statement must be a JSON object'];
  const problems: string[] = [];
  if (value._type !== STATEMENT_TYPE) problems.push(`_type must be ${STATEMENT_TYPE}`);
  if (!Array.isArray(value.subject) || value.subject.length === 0) {
    problems.push('subject must be a non-empty array');
  } else {
    value.subject.forEach((s, i) =>
      problems.push(...resourceDescriptorProblems(s, `subject[${i}]`, true)),
    );
  }
  if (typeof value.predicateType !== 'string' || !isUri(value.predicateType)) {
    problems.push('predicateType must be a URI');
  }
  if (!isObject(value.predicate)) problems.push('predicate must be an object');
  return problems;
}

export function assertStatement(value: unknown, where?: string): asserts value is Statement {
  const problems = statementProblems(value);
  if (problems.length > 0) {
    throw new SathosError(
      'MALFORMED_STATEMENT',
      `not a valid in-toto Statement v1: ${problems.join('; ')}`,
      where === undefined ? {} : { where },
    );
  }
}
