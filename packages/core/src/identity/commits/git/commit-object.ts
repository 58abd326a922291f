// A raw git commit object, parsed the way git itself splits it: the headers, the signature header
// (`gpgsig` in SHA-1 repositories, `gpgsig-sha256` in SHA-256 ones) and the signed payload, which is
// the object with every signature header removed, byte for byte.
import { SathosError } from '../../../errors.js';

/** A commit object larger than this is refused before parsing (git's own are a few KiB). */
export const MAX_COMMIT_BYTES = 1024 * 1024;
/** A signature header longer than this is refused (an RSA-4096 OpenPGP signature is ~1 KiB). */
export const MAX_SIGNATURE_BYTES = 64 * 1024;
/** More header lines than this (continuations included) is not a commit git wrote. */
export const MAX_HEADER_LINES = 4096;

export interface GitPerson {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch, as recorded. */
  readonly time: Date;
}

export interface GitCommit {
  readonly id: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitPerson;
  readonly committer: GitPerson;
  /** The signature for this repository's hash algorithm, continuation lines joined; absent when unsigned. */
  readonly signature?: string;
  /** Exactly the bytes the signature is over. */
  readonly payload: Buffer;
}

const SIGNATURE_HEADERS = ['gpgsig', 'gpgsig-sha256'] as const;

interface Header {
  readonly name: string;
  /** Value with continuation lines joined by `\n` (their leading space removed). */
  value: string;
  readonly start: number;
  end: number;
}

function malformed(id: string, what: string): SathosError {
  return new SathosError('MALFORMED_COMMIT', `${what}; this is not a commit object git writes`, {
    where: `commit ${id}`,
  });
}

function splitHeaders(id: string, raw: Buffer): { headers: Header[]; bodyStart: number } {
  const headers: Header[] = [];
  let at = 0;
  for (let lines = 0; ; lines++) {
    if (lines > MAX_HEADER_LINES) throw malformed(id, `more than ${MAX_HEADER_LINES} header lines`);
    const newline = raw.indexOf(0x0a, at);
    if (newline < 0) throw malformed(id, 'the headers do not end with an empty line');
    const line = raw.toString('utf8', at, newline);
    const next = newline + 1;
    if (line === '') return { headers, bodyStart: next };
    const last = headers.at(-1);
    if (line.startsWith(' ')) {
      if (last === undefined) throw malformed(id, 'a continuation line before any header');
      last.value += `\n${line.slice(1)}`;
      last.end = next;
    } else {
      const space = line.indexOf(' ');
      if (space <= 0) throw malformed(id, `header line "${line.slice(0, 40)}" has no value`);
      headers.push({
        name: line.slice(0, space),
        value: line.slice(space + 1),
        start: at,
        end: next,
      });
    }
    at = next;
  }
}

/**
 * An ident line in the one form whose reading cannot differ from git's (ident.c split_ident_line takes
 * the name up to the FIRST `<`, the email up to the first `>` after it, and the date after the LAST
 * `>`): one `<`, one `>`, a name without angle brackets or surrounding spaces, then `time ±zone`.
 * Anything else — two emails, a `>` in the name, a continuation line, NUL or control characters,
 * bytes that are not UTF-8 — could be shown by git as one person and read by us as another: refused.
 */
const PERSON = /^(?:([^<>\s](?:[^<>]*[^<>\s])?) )?<([^<>]*)> (\d{1,15}) [+-]\d{4}$/;
/** True for C0 controls, DEL and U+FFFD (what bytes that are not UTF-8 became). */
function unsafeIdent(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0xfffd) return true;
  }
  return false;
}

function person(id: string, header: Header | undefined, role: string): GitPerson {
  if (header !== undefined && unsafeIdent(header.value)) {
    throw malformed(
      id,
      `the ${role} line holds a line break, control character or bytes that are not UTF-8`,
    );
  }
  const match = header === undefined ? null : PERSON.exec(header.value);
  if (match === null) {
    throw malformed(
      id,
      `the ${role} line is missing or not "Name <email> time zone" with exactly one <email>`,
    );
  }
  const time = new Date(Number(match[3]) * 1000);
  // A time past JavaScript's last date is NaN, and NaN passes every validity-window comparison.
  if (Number.isNaN(time.getTime())) {
    throw malformed(id, `the ${role} line's time is beyond any real date`);
  }
  return { name: match[1] ?? '', email: match[2] ?? '', time };
}

function only(id: string, headers: readonly Header[], name: string): Header | undefined {
  const found = headers.filter((h) => h.name === name);
  if (found.length > 1) throw malformed(id, `more than one ${name} header`);
  return found[0];
}

/** The parent ids: git reads only the `parent` lines right after `tree`, so a later one is refused. */
function parentsOf(id: string, headers: readonly Header[], hex: RegExp): string[] {
  const count = headers.findIndex((h, i) => i > 0 && h.name !== 'parent');
  const leading = headers.slice(1, count < 0 ? headers.length : count);
  if (headers.filter((h) => h.name === 'parent').length !== leading.length) {
    throw malformed(id, 'a parent line does not follow the tree line (git would not read it)');
  }
  if (leading.some((h) => !hex.test(h.value))) throw malformed(id, 'a parent is not an object id');
  return leading.map((h) => h.value);
}

function payloadWithout(raw: Buffer, removed: readonly Header[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const h of removed) {
    parts.push(raw.subarray(at, h.start));
    at = h.end;
  }
  parts.push(raw.subarray(at));
  return Buffer.concat(parts);
}

/** Parses a raw commit object; `id` says which hash algorithm's signature header applies. */
export function parseCommit(id: string, raw: Buffer): GitCommit {
  if (raw.length > MAX_COMMIT_BYTES) {
    throw new SathosError('TOO_LARGE', `commit object is larger than ${MAX_COMMIT_BYTES} bytes`, {
      where: `commit ${id}`,
    });
  }
  const { headers } = splitHeaders(id, raw);
  const hex = id.length === 64 ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/;
  const tree = only(id, headers, 'tree');
  if (headers[0] !== tree || tree === undefined || !hex.test(tree.value)) {
    throw malformed(id, 'the first header is not a tree id');
  }
  const parents = parentsOf(id, headers, hex);
  const signatureName = id.length === 64 ? 'gpgsig-sha256' : 'gpgsig';
  const signatureHeader = only(id, headers, signatureName);
  for (const name of SIGNATURE_HEADERS) only(id, headers, name);
  if (signatureHeader !== undefined && signatureHeader.value.length > MAX_SIGNATURE_BYTES) {
    throw new SathosError('TOO_LARGE', `signature is larger than ${MAX_SIGNATURE_BYTES} bytes`, {
      where: `commit ${id}`,
    });
  }
  const removed = headers.filter((h) => (SIGNATURE_HEADERS as readonly string[]).includes(h.name));
  return {
    id,
    tree: tree.value,
    parents,
    author: person(id, only(id, headers, 'author'), 'author'),
    committer: person(id, only(id, headers, 'committer'), 'committer'),
    ...(signatureHeader === undefined ? {} : { signature: `${signatureHeader.value}\n` }),
    payload: payloadWithout(raw, removed),
  };
}

/** What walking history needs of a commit: its tree, its parents and (for ordering only) its time. */
export interface CommitLinks {
  readonly tree: string;
  readonly parents: readonly string[];
  /** Committer seconds as git would read them (after the last `>`); 0 when unreadable. */
  readonly time: number;
}

/**
 * The tree and parents of a raw commit object, without judging its idents or signature (commits
 * outside the range are walked, not verified). Throws MALFORMED_COMMIT when they cannot be read.
 */
export function commitLinks(id: string, raw: Buffer): CommitLinks {
  if (raw.length > MAX_COMMIT_BYTES) {
    throw new SathosError('TOO_LARGE', `commit object is larger than ${MAX_COMMIT_BYTES} bytes`, {
      where: `commit ${id}`,
    });
  }
  const { headers } = splitHeaders(id, raw);
  const hex = id.length === 64 ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/;
  const tree = headers[0];
  if (tree?.name !== 'tree' || !hex.test(tree.value)) {
    throw malformed(id, 'the first header is not a tree id');
  }
  const parents = parentsOf(id, headers, hex);
  const committer = headers.find((h) => h.name === 'committer')?.value ?? '';
  const seconds = /> *(\d{1,15})[^>]*$/.exec(committer)?.[1];
  return { tree: tree.value, parents, time: seconds === undefined ? 0 : Number(seconds) };
}
