// Host names as the anomaly layer compares them: one canonical spelling per destination (lowercase,
// no trailing dot, IP literals as the WHATWG URL parser writes them), the policy's allowedHosts
// patterns, and the `host:port` keys a baseline stores. Pure: no DNS, no I/O.
import { SathosError } from '../errors.js';
import type { EgressRequest } from './events.js';

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAX_NAME = 253;

/** True for a canonical IPv6 literal (kept without brackets, as EgressRequest holds it). */
export const isIpv6 = (host: string): boolean => host.includes(':');
const isIpv4 = (host: string): boolean => /^(?:\d{1,3}\.){3}\d{1,3}$/.test(host);

/** True when the canonical host is an IP literal rather than a name. */
export const isIpLiteral = (host: string): boolean => isIpv6(host) || isIpv4(host);

function canonicalIpv6(text: string): string | undefined {
  if (!/^[0-9a-f:.]+$/.test(text)) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

// The URL parser turns every IPv4 spelling (127.1, 0x7f.0.0.1, 2130706433) into dotted decimal, so
// a pattern and a request that name the same address compare equal.
function canonicalName(text: string): string | undefined {
  if (text.length === 0 || text.length > MAX_NAME || !/^[a-z0-9_.-]+$/.test(text)) return undefined;
  // The URL parser reads a host as IPv4 only when its last label is a number (decimal or 0x hex);
  // any other lowercase name it returns unchanged, so only the label check remains.
  const last = text.slice(text.lastIndexOf('.') + 1);
  if (!/^(?:\d+|0x[0-9a-f]*)$/.test(last))
    return text.split('.').every((label) => LABEL.test(label)) ? text : undefined;
  let parsed: string;
  try {
    parsed = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  if (isIpv4(parsed)) return parsed;
  return parsed.split('.').every((label) => LABEL.test(label)) ? parsed : undefined;
}

/**
 * The canonical spelling of a host (name, IPv4, or IPv6 with or without brackets), or undefined when
 * it is not a plain host: a wildcard, a zone id, a space or anything else never matches anything.
 */
export function canonicalHost(host: string): string | undefined {
  let text = host.toLowerCase();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (isIpv6(text)) return canonicalIpv6(text);
  if (text.endsWith('.')) text = text.slice(0, -1);
  return canonicalName(text);
}

export const isPort = (port: unknown): port is number =>
  Number.isSafeInteger(port) && (port as number) >= 1 && (port as number) <= 65535;

/** `host:port`, IPv6 in brackets: how a baseline stores a connection. */
export function hostPortKey(host: string, port: number): string {
  return `${isIpv6(host) ? `[${host}]` : host}:${port}`;
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`; the port is undefined when absent. */
export function splitHostPort(text: string): { host: string; port?: string } | undefined {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    return rest === ''
      ? { host: text.slice(0, close + 1) }
      : { host: text.slice(0, close + 1), port: rest.slice(1) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text };
  if (text.indexOf(':') !== colon) return undefined;
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

/** One allowedHosts entry, parsed: an exact host or any subdomain of a domain, on one or every port. */
export interface HostPattern {
  readonly text: string;
  readonly kind: 'exact' | 'subdomains';
  /** Canonical host, or for `subdomains` the canonical domain after `*.`. */
  readonly host: string;
  readonly port?: number;
}

/** Parses an allowedHosts entry; anything that is not a plain host pattern is refused. */
export function parseHostPattern(text: string): HostPattern | undefined {
  const parts = splitHostPort(text);
  if (parts === undefined) return undefined;
  const port = parts.port === undefined ? undefined : Number(parts.port);
  if (parts.port !== undefined && (!/^\d{1,5}$/.test(parts.port) || !isPort(port)))
    return undefined;
  const wildcard = parts.host.startsWith('*.');
  const host = canonicalHost(wildcard ? parts.host.slice(2) : parts.host);
  // `*.` before an IP literal would match nothing a resolver could answer; refuse it as a typo.
  if (host === undefined || (wildcard && isIpLiteral(host))) return undefined;
  return {
    text,
    kind: wildcard ? 'subdomains' : 'exact',
    host,
    ...(port === undefined ? {} : { port }),
  };
}

/** Parses every allowedHosts entry; one that does not parse is a policy error (fail closed). */
export function parseHostPatterns(entries: readonly string[], where: string): HostPattern[] {
  return entries.map((entry, i) => {
    const pattern = parseHostPattern(entry);
    if (pattern === undefined) {
      throw new SathosError(
        'POLICY_INVALID',
        `allowedHosts[${i}] "${entry}" is not a host, *.domain or [ip] with an optional port from 1 to 65535; fix the entry`,
        { where },
      );
    }
    return pattern;
  });
}

/**
 * Whether a pattern covers a request whose host is already canonical. `*.example.com` covers every
 * subdomain but not example.com itself; a DNS lookup is covered whatever the pattern's port, since
 * it only names the host the connection that follows is decided on.
 */
export function patternCovers(pattern: HostPattern, host: string, request: EgressRequest): boolean {
  if (request.protocol !== 'dns' && pattern.port !== undefined && pattern.port !== request.port)
    return false;
  if (pattern.kind === 'exact') return pattern.host === host;
  return !isIpLiteral(host) && host.endsWith(`.${pattern.host}`);
}

/** The baseline entry for a request whose host is canonical: `host:port`, or `host` for a lookup. */
export function canonicalHostEntryFor(host: string, request: EgressRequest): string {
  if (request.protocol === 'dns') return isIpv6(host) ? `[${host}]` : host;
  return hostPortKey(host, request.port);
}

/** A host as the request spelled it, quoted with control characters escaped, for messages. */
export function quotedHost(host: unknown): string {
  const text = typeof host === 'string' ? host : String(host);
  return JSON.stringify(text.length > 256 ? `${text.slice(0, 256)}…` : text);
}
