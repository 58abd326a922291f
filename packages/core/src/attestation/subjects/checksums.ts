// A checksums file as release tools write it: `sha256sum` / `sha512sum` output (text mode
// `<hex>  <name>`, binary mode `<hex> *<name>`, names with a backslash or line break escaped behind
// a leading `\`), goreleaser's checksums.txt (the same text mode) and the BSD tag form
// `SHA256 (<name>) = <hex>`. The algorithm follows from the digest's length.
import { SathosError } from '../../errors.js';
import type { Subject, SubjectAlgorithm } from './subject.js';
import { makeSubject, SUBJECT_LIMITS } from './subject.js';

const BY_LENGTH: Readonly<Record<number, SubjectAlgorithm>> = { 64: 'sha256', 128: 'sha512' };

/**
 * The longest line a checksums file may hold: a SHA-512, separators and the longest name, every
 * byte escaped. A longer line names nothing usable; refusing it first keeps each line's work
 * bounded (unescaping a 10 MB line of escapes took seconds).
 */
const MAX_LINE_CHARS = 2 * SUBJECT_LIMITS.maxNameBytes + 256;

/** sha256sum's escaping of a name: `\\` for a backslash, `\n` for a line feed, `\r` for a return. */
function unescapeName(name: string, where: string): string {
  return name.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    throw new SathosError('SUBJECT_INVALID', 'the name holds an unknown escape', { where });
  });
}

interface Entry {
  readonly hex: string;
  readonly name: string;
}

function coreutilsEntry(line: string, where: string): Entry | undefined {
  const escaped = line.startsWith('\\');
  const body = escaped ? line.slice(1) : line;
  const match = /^([0-9a-fA-F]+) [ *](.+)$/.exec(body);
  if (match === null) return undefined;
  const [, hex = '', name = ''] = match;
  return { hex, name: escaped ? unescapeName(name, where) : name };
}

function bsdEntry(line: string, where: string): Entry | undefined {
  const escaped = line.startsWith('\\');
  const body = escaped ? line.slice(1) : line;
  const match = /^SHA(256|512) \((.+)\) = ([0-9a-fA-F]+)$/.exec(body);
  if (match === null) return undefined;
  const [, bits = '', name = '', hex = ''] = match;
  if (hex.length !== Number(bits) / 4) {
    throw new SathosError(
      'SUBJECT_INVALID',
      `a SHA${bits} digest must be ${Number(bits) / 4} hex digits`,
      {
        where,
      },
    );
  }
  return { hex, name: escaped ? unescapeName(name, where) : name };
}

/**
 * Every subject a checksums file names, in file order (normalizeSubjects dedupes and sorts). A
 * line that is none of the formats, or a digest of another length than SHA-256's or SHA-512's, is
 * an error naming the file and line: a half-understood checksums file attests nothing.
 */
export function parseChecksums(text: string, source: string): Subject[] {
  const subjects: Subject[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0) return;
    const where = `${source} line ${index + 1}`;
    if (line.length > MAX_LINE_CHARS) {
      throw new SathosError(
        'SUBJECT_INVALID',
        `the line is longer than ${MAX_LINE_CHARS} characters: no digest and name are that long`,
        { where },
      );
    }
    const entry = bsdEntry(line, where) ?? coreutilsEntry(line, where);
    if (entry === undefined) {
      throw new SathosError(
        'SUBJECT_INVALID',
        'not a checksums line: expected "<hex>  <name>", "<hex> *<name>" or "SHA256 (<name>) = <hex>"',
        { where },
      );
    }
    const algorithm = BY_LENGTH[entry.hex.length];
    if (algorithm === undefined) {
      throw new SathosError(
        'SUBJECT_INVALID',
        `a digest of ${entry.hex.length} hex digits is neither SHA-256 (64) nor SHA-512 (128)`,
        { where },
      );
    }
    subjects.push(makeSubject(entry.name, algorithm, entry.hex, where));
  });
  if (subjects.length === 0) {
    throw new SathosError('SUBJECT_INVALID', 'the checksums file names no artifact', {
      where: source,
    });
  }
  return subjects;
}
