// Loopback fixtures for the guard's tests and bench: HTTP servers that count every TCP connection
// they see (so a test can prove a blocked host was never reached), a resolver mapping test names to
// 127.0.0.1, and a decider allowing a fixed set of hosts.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { EgressDecider } from '@sathos/core';
import type { Resolver } from './hosts.js';

export interface CountingServer {
  readonly port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering every request with `body`. */
export async function countingServer(body: string): Promise<CountingServer> {
  let connections = 0;
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Every `*.test` name resolves to 127.0.0.1; anything else does not resolve. */
export const loopbackResolver: Resolver = (host) =>
  host.endsWith('.test') || host === 'localhost'
    ? Promise.resolve(['127.0.0.1'])
    : Promise.reject(new Error(`${host} does not resolve in tests`));

/** Allows exactly the listed hosts (any port), blocks the rest. */
export function allowOnly(...hosts: string[]): EgressDecider {
  return (request) =>
    hosts.includes(request.host)
      ? { action: 'allow', rule: `allowedHosts[${hosts.indexOf(request.host)}]`, reason: 'listed' }
      : { action: 'block', rule: 'default', reason: `${request.host} is not an allowed host` };
}

/**
 * A TCP server on 127.0.0.1 for the tunnel tests: sends `payload` to a client whose first bytes
 * are `send`; to one whose first bytes are `echo`, sends back the rest of what it sent, after it ended.
 */
export async function payloadServer(
  payload: Buffer,
): Promise<{ readonly port: number; close(): void }> {
  const server = createNetServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.once('data', (first: Buffer) => {
      if (first.subarray(0, 4).toString() === 'send') socket.end(payload);
    });
    socket.once('end', () => {
      const all = Buffer.concat(received);
      if (all.subarray(0, 4).toString() === 'echo') socket.end(all.subarray(4));
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () => server.close(),
  };
}
