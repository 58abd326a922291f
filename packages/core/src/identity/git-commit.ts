// A raw git commit object, parsed the way git itself splits it: the headers, the signature header
// (`gpgsig` in SHA-1 repositories, `gpgsig-sha256` in SHA-256 ones) and the signed payload, which is
// the object with every signature header removed, byte for byte.
import { SathosError } from '../errors.js';

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

const PERSON = /^(.*) <([^<>]*)> (\d{1,15}) [+-]\d{4}$/;

function person(id: string, header: Header | undefined, role: string): GitPerson {
  const match = header === undefined ? null : PERSON.exec(header.value);
  if (match === null) throw malformed(id, `the ${role} line is missing or malformed`);
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
  const parents = headers.filter((h) => h.name === 'parent').map((h) => h.value);
  if (parents.some((p) => !hex.test(p))) throw malformed(id, 'a parent is not an object id');
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
