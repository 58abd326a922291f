// The proxy half of the gateway: CONNECT tunnels and absolute-URI HTTP requests. The decision comes
// first; only an allowed request resolves its host and opens an upstream connection.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EgressVerdict } from '@sathos/core';
import { opens, type DecisionLog } from './decisions.js';
import { normalizeHost, parseAuthority, parsePort, type Resolver } from './hosts.js';
import type { GatewayLimits } from './limits.js';
import { connectCopyingTo } from './tunnel-copy.js';

/** A client connection's TCP ports (undefined over a unix socket). */
export interface ClientPorts {
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
}

/** Finds the process on the other end of a client connection, where the sandbox can tell. */
export type ClientIdentifier = (client: ClientPorts) => Promise<number | undefined>;

export interface ProxyContext {
  readonly identify: ClientIdentifier | undefined;
  readonly log: DecisionLog;
  readonly resolve: Resolver;
  readonly limits: GatewayLimits;
  readonly refuse: (reason: string) => void;
  /** Requests whose pid is still being looked up: `close()` waits for their decisions. */
  readonly pending: Set<Promise<void>>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
};

/** Hop-by-hop and proxy headers: never forwarded (RFC 9110 §7.6.1). */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Answers a raw client socket with one short plain-text response and closes it. */
export function refuseSocket(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = `sathos guard: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function deniedMessage(host: string, port: number, verdict: EgressVerdict): string {
  return `${verdict.action === 'halt' ? 'halted' : 'blocked'} ${host}:${port} (${verdict.rule})`;
}

// The allowed host's first address, or undefined when it does not resolve.
async function firstAddress(context: ProxyContext, host: string): Promise<string | undefined> {
  try {
    return (await context.resolve(host))[0];
  } catch {
    return undefined;
  }
}

const pids = new WeakMap<Duplex, Promise<number | undefined>>();

// Runs `then` with the client's pid (looked up once per connection), at once when nobody can tell.
function withPid(
  context: ProxyContext,
  socket: Duplex,
  then: (pid: number | undefined) => void,
): void {
  const identify = context.identify;
  if (identify === undefined) {
    then(undefined);
    return;
  }
  let pid = pids.get(socket);
  if (pid === undefined) {
    const { remotePort, localPort } = socket as { remotePort?: number; localPort?: number };
    pid = identify({ remotePort, localPort }).catch(() => undefined);
    pids.set(socket, pid);
  }
  const decided = pid.then(then);
  const settled = (): void => {
    context.pending.delete(decided);
  };
  context.pending.add(decided);
  decided.then(settled, settled);
}

/** CONNECT host:port — decide, then tunnel bytes both ways to the resolved address. */
export function handleConnect(
  context: ProxyContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const target = parseAuthority(req.url ?? '');
  if (target === undefined) {
    context.refuse('CONNECT to a target that is not host:port');
    refuseSocket(socket, 400, 'CONNECT needs host:port');
    return;
  }
  withPid(context, socket, (pid) => {
    const verdict = context.log.decide(target.host, target.port, 'connect', pid);
    if (!opens(verdict)) {
      refuseSocket(socket, 403, deniedMessage(target.host, target.port, verdict));
      return;
    }
    void tunnel(context, socket, head, target);
  });
}

async function tunnel(
  context: ProxyContext,
  client: Duplex,
  head: Buffer,
  target: { host: string; port: number },
): Promise<void> {
  const address = await firstAddress(context, target.host);
  if (address === undefined) {
    refuseSocket(client, 502, `${target.host} does not resolve`);
    return;
  }
  if (client.destroyed) return;
  // Upstream to client is the copy loop of tunnel-copy.ts; client to upstream stays a `pipe`
  // (node's HTTP server made the client socket, so it cannot read into our buffers).
  const upstream = connectCopyingTo({ host: address, port: target.port }, client);
  upstream.setTimeout(context.limits.connectTimeoutMs, () => upstream.destroy());
  const closeBoth = (): void => {
    upstream.destroy();
    client.destroy();
  };
  upstream.once('error', () => {
    if (upstream.connecting) refuseSocket(client, 502, `${target.host}:${target.port} unreachable`);
    else closeBoth();
  });
  client.once('error', closeBoth);
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => client.destroy());
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    // A tunnel forwards what it is given at once: Nagle would hold back the 200 and each small
    // write of an interactive protocol (a TLS handshake) for an ACK.
    if (client instanceof Socket) client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
  });
}

// The request's absolute http:// URI split into what the decision and the upstream need.
function absoluteTarget(
  url: string,
): { host: string; port: number; hostHeader: string; path: string } | undefined {
  if (!/^http:\/\//i.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = normalizeHost(parsed.hostname);
  const port = parsed.port === '' ? 80 : parsePort(parsed.port);
  if (
    host === undefined ||
    port === undefined ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    return undefined;
  }
  return { host, port, hostHeader: parsed.host, path: `${parsed.pathname}${parsed.search}` };
}

function forwardedHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const named = new Set(
    (headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function plainRefusal(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`sathos guard: ${message}\n`);
}

/** GET http://host:port/path — decide, then forward the request and stream the answer back. */
export function handleRequest(
  context: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const target = absoluteTarget(req.url ?? '');
  if (target === undefined) {
    context.refuse('a request that is neither CONNECT nor an absolute http:// URI');
    plainRefusal(res, 400, 'this is a proxy: send CONNECT host:port or an absolute http:// URI');
    return;
  }
  withPid(context, req.socket, (pid) => {
    const verdict = context.log.decide(target.host, target.port, 'http', pid);
    if (!opens(verdict)) {
      plainRefusal(res, 403, deniedMessage(target.host, target.port, verdict));
      return;
    }
    void forward(context, req, res, target);
  });
}

async function forward(
  context: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: { host: string; port: number; hostHeader: string; path: string },
): Promise<void> {
  const address = await firstAddress(context, target.host);
  if (address === undefined) {
    plainRefusal(res, 502, `${target.host} does not resolve`);
    return;
  }
  // The client is gone (the gateway closed while this was decided): open nothing for it.
  if (req.socket.destroyed) return;
  const upstream = httpRequest({
    host: address,
    port: target.port,
    method: req.method ?? 'GET',
    path: target.path,
    headers: { ...forwardedHeaders(req.headers), host: target.hostHeader },
    setHost: false,
    agent: false,
    timeout: context.limits.connectTimeoutMs,
  });
  upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
  upstream.on('error', () => {
    plainRefusal(res, 502, `${target.host}:${target.port} unreachable`);
  });
  upstream.on('response', (answer) => {
    upstream.setTimeout(0);
    res.writeHead(answer.statusCode ?? 502, forwardedHeaders(answer.headers));
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
