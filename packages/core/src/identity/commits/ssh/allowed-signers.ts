// OpenSSH allowed_signers (ssh-keygen(1), ALLOWED SIGNERS): one line per key, naming the principals
// it may sign as, with options `cert-authority`, `namespaces="…"`, `valid-after="…"`, `valid-before="…"`.
// Timestamps without a trailing `Z` are read as UTC (ssh-keygen reads them in the local zone; a CI
// runner's zone is UTC) so a verdict never depends on the machine's time zone.
import { matchesWhole } from '../../../pattern.js';
import { SathosError } from '../../../errors.js';
import { isCertificateType } from './certificate.js';
import { parseSshKey, PLAIN_KEY_TYPES, type SshKey } from './key.js';

/** An allowed_signers text larger than this is refused. */
export const MAX_ALLOWED_SIGNERS_BYTES = 1024 * 1024;

export interface AllowedSigner {
  /** 1-based line in the text. */
  readonly line: number;
  /** Comma-separated principal patterns (`*`, `?`, `!negation`). */
  readonly principals: string;
  readonly certAuthority: boolean;
  /** Comma-separated namespace patterns; absent = every namespace. */
  readonly namespaces?: string;
  readonly validAfter?: Date;
  readonly validBefore?: Date;
  readonly key: SshKey;
}

interface Cursor {
  readonly text: string;
  at: number;
}

function invalid(where: string, message: string): SathosError {
  return new SathosError('POLICY_INVALID', message, { where });
}

function skipSpace(c: Cursor): void {
  while (c.at < c.text.length && /\s/.test(c.text[c.at] ?? '')) c.at++;
}

/** A whitespace-delimited token; double quotes protect spaces and commas. */
function token(c: Cursor, where: string): string {
  let out = '';
  let quoted = false;
  while (c.at < c.text.length) {
    const ch = c.text[c.at] ?? '';
    if (!quoted && /\s/.test(ch)) break;
    if (ch === '"') quoted = !quoted;
    else out += ch;
    c.at++;
  }
  if (quoted) throw invalid(where, 'an unterminated quote; close the "…" value');
  skipSpace(c);
  return out;
}

/** Splits `a,b="x,y",c` on commas outside quotes, after the quotes were kept by `rawToken`. */
function rawToken(c: Cursor, where: string): string {
  const start = c.at;
  let quoted = false;
  while (c.at < c.text.length) {
    const ch = c.text[c.at] ?? '';
    if (!quoted && /\s/.test(ch)) break;
    if (ch === '"') quoted = !quoted;
    c.at++;
  }
  if (quoted) throw invalid(where, 'an unterminated quote in the options; close the "…" value');
  const out = c.text.slice(start, c.at);
  skipSpace(c);
  return out;
}

function splitOptions(options: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of options) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** A token that names a key algorithm (supported or not) rather than options. */
const KEY_TYPE_LIKE = /^(?:ssh|ecdsa|sk|rsa)-[a-z0-9@.-]+$/;

const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z?)$/;

/** `YYYYMMDD[HHMM[SS]][Z]`, read as UTC. */
export function parseSshTimestamp(value: string, where: string): Date {
  const m = TIMESTAMP.exec(value);
  if (m === null) throw invalid(where, `timestamp "${value}" is not YYYYMMDD[HHMM[SS]][Z]`);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const back = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  if (back.join() !== [y, mo, d, h, mi, s].join())
    throw invalid(where, `timestamp "${value}" is not a real date`);
  return date;
}

interface Options {
  certAuthority: boolean;
  namespaces?: string;
  validAfter?: Date;
  validBefore?: Date;
}

function unquote(value: string, where: string): string {
  if (!/^"[^"]*"$/.test(value))
    throw invalid(where, `option value ${value} must be in double quotes`);
  return value.slice(1, -1);
}

function parseOptions(text: string, where: string): Options {
  const options: Options = { certAuthority: false };
  const seen = new Set<string>();
  for (const option of splitOptions(text)) {
    const eq = option.indexOf('=');
    const name = (eq < 0 ? option : option.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : option.slice(eq + 1);
    if (value !== undefined && seen.has(name)) {
      throw invalid(where, `option ${name} appears more than once; keep one`);
    }
    seen.add(name);
    if (name === 'cert-authority' && value === undefined) options.certAuthority = true;
    else if (name === 'namespaces' && value !== undefined)
      options.namespaces = unquote(value, where);
    else if (name === 'valid-after' && value !== undefined) {
      options.validAfter = parseSshTimestamp(unquote(value, where), where);
    } else if (name === 'valid-before' && value !== undefined) {
      options.validBefore = parseSshTimestamp(unquote(value, where), where);
    } else {
      throw invalid(
        where,
        `unknown option "${option.slice(0, 40)}"; use cert-authority, namespaces, valid-after or valid-before`,
      );
    }
  }
  return options;
}

function parseLine(text: string, line: number, where: string): AllowedSigner {
  const c: Cursor = { text, at: 0 };
  skipSpace(c);
  const principals = token(c, where);
  if (principals === '') throw invalid(where, 'no principals');
  let type = token({ ...c }, where);
  let options: Options = { certAuthority: false };
  if (!KEY_TYPE_LIKE.test(type)) {
    options = parseOptions(rawToken(c, where), where);
    type = token({ ...c }, where);
  }
  token(c, where);
  if (isCertificateType(type)) {
    throw invalid(
      where,
      'a certificate cannot be an allowed signer; list its CA with cert-authority',
    );
  }
  if (!(PLAIN_KEY_TYPES as readonly string[]).includes(type)) {
    throw invalid(
      where,
      `key type "${type.slice(0, 40)}" is not supported; use ${PLAIN_KEY_TYPES.join(', ')}`,
    );
  }
  const base64 = token(c, where);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw invalid(where, 'the key is not base64');
  let key: SshKey;
  try {
    key = parseSshKey(Buffer.from(base64, 'base64'), where);
  } catch (cause) {
    throw new SathosError('POLICY_INVALID', 'the key cannot be decoded', { where, cause });
  }
  if (key.type !== type) throw invalid(where, `the key is a ${key.type} key, not ${type}`);
  return { line, principals, ...options, key };
}

/** Parses allowed_signers text; a line sathos cannot read fails the whole file (POLICY_INVALID). */
export function parseAllowedSigners(text: string, source = 'allowed_signers'): AllowedSigner[] {
  if (Buffer.byteLength(text) > MAX_ALLOWED_SIGNERS_BYTES) {
    throw new SathosError('TOO_LARGE', `larger than ${MAX_ALLOWED_SIGNERS_BYTES} bytes`, {
      where: source,
    });
  }
  const out: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    out.push(parseLine(trimmed, i + 1, `${source} line ${i + 1}`));
  });
  return out;
}

function wildcard(value: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return matchesWhole(`(?s)${re}`, value);
}

/** OpenSSH's match_pattern_list: any `!pattern` that matches denies; otherwise any pattern that matches allows. */
export function matchPatternList(value: string, list: string): boolean {
  let matched = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (wildcard(value, pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}
