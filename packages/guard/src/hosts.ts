// Host names and ports as the gateway accepts them: what a client names in CONNECT, an absolute URI
// or a DNS question, reduced to one spelling before anyone decides on it. Anything else is refused
// before the decider is asked, so a rule never sees `EVIL.test.` and `evil.test` as two hosts.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAX_HOST_LENGTH = 253;

/** Resolves an allowed name to the addresses to connect to. */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** Lowercased, no trailing dot, IPv6 without brackets; undefined when it is not a host name or IP. */
export function normalizeHost(raw: string): string | undefined {
  let host = raw.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    return isIP(host) === 6 ? host : undefined;
  }
  if (isIP(host) !== 0) return host;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return undefined;
  return host.split('.').every((label) => LABEL.test(label)) ? host : undefined;
}

/** A decimal port 1–65535, or undefined. */
export function parsePort(raw: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(raw)) return undefined;
  const port = Number(raw);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `host:port` or `[v6]:port` (a CONNECT target) → its parts; undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const colon = authority.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const rawHost = authority.slice(0, colon);
  if (rawHost.includes(':') && !rawHost.startsWith('[')) return undefined;
  const host = normalizeHost(rawHost);
  const port = parsePort(authority.slice(colon + 1));
  return host === undefined || port === undefined ? undefined : { host, port };
}

/** The system resolver (getaddrinfo); an IP literal resolves to itself. */
export const systemResolver: Resolver = async (host) => {
  if (isIP(host) !== 0) return [host];
  const answers = await lookup(host, { all: true });
  return answers.map((answer) => answer.address);
};
