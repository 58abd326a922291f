// The egress gateway: an HTTP proxy (CONNECT tunnels and absolute-URI requests) and a DNS resolver
// on loopback, optionally also on unix sockets for a network namespace's forwarder. Each request is
// decided per host and port before any upstream connection opens; refused requests are answered
// 403/NXDOMAIN; malformed, oversized, slow or excess clients are closed without a decision.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import {
  createServer as createNetServer,
  isIP,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { EgressAction, EgressDecider, EgressDecision } from '@sathos/core';
import { DecisionLog } from './decisions.js';
import { serveStream, serveUdp } from './gateway-dns.js';
import {
  handleConnect,
  handleRequest,
  refuseSocket,
  type ClientIdentifier,
  type ProxyContext,
} from './gateway-proxy.js';
import { systemResolver, type Resolver } from './hosts.js';
import { gatewayLimits, type GatewayLimits } from './limits.js';

export type { Resolver } from './hosts.js';
export type { ClientIdentifier, ClientPorts } from './gateway-proxy.js';

/** A client turned away before any decision: malformed, oversized, too slow, or one too many. */
export interface GatewayRefusal {
  readonly at: number;
  readonly reason: string;
}

export interface GatewayOptions {
  readonly decide: EgressDecider;
  readonly onDecision?: (decision: EgressDecision) => void;
  readonly onRefusal?: (refusal: GatewayRefusal) => void;
  /** Called once, on the first `halt` verdict or when the decider throws. */
  readonly onHalt?: (reason: string) => void;
  readonly limits?: Partial<GatewayLimits>;
  /** Resolves allowed names to addresses (default: the system resolver). IP literals skip it. */
  readonly resolve?: Resolver;
  /** Finds the pid behind a TCP client connection, for the decision log (none: pid unknown). */
  readonly identify?: ClientIdentifier;
  /** When set, also listen on `<dir>/proxy.sock` and `<dir>/dns.sock` (DNS with 2-byte framing). */
  readonly socketDir?: string;
  readonly clock?: () => number;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`, for HTTP(S)_PROXY. */
  readonly proxyUrl: string;
  readonly proxyPort: number;
  /** The UDP resolver's port on 127.0.0.1. */
  readonly dnsPort: number;
  readonly proxySocketPath: string | undefined;
  readonly dnsSocketPath: string | undefined;
  /** Every decision so far, in order (up to `limits.maxDecisionsLogged`). */
  readonly decisions: readonly EgressDecision[];
  readonly refusals: readonly GatewayRefusal[];
  /** Decisions past the log's bound, counted only. */
  readonly droppedDecisions: number;
  /** The same by action (live); any not `allow` is a finding the log could not itemize. */
  readonly droppedByAction: Readonly<Record<EgressAction, number>>;
  /** Client connections open now. */
  readonly openConnections: number;
  /** The halt reason, once a request was halted or the decider threw. */
  readonly halted: string | undefined;
  /** Resolves with a reason if the gateway stops serving before `close()` (a listener failed). */
  readonly failure: Promise<string>;
  close(): Promise<void>;
}

const MAX_REFUSALS_LOGGED = 1000;

function listenTcp(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

function listenUnix(server: NetServer, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function bindUdp(socket: UdpSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port: 0 }, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

// One HTTP parser for every client socket; timeouts tight enough that slowloris is cut off.
function proxyServer(limits: GatewayLimits): Server {
  const server = createHttpServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.max(100, Math.floor(limits.headerTimeoutMs / 4)),
    keepAliveTimeout: 5000,
  });
  return server;
}

/** Starts the gateway on loopback (and on unix sockets under `socketDir` when given). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const limits = gatewayLimits(options.limits);
  const clock = options.clock ?? Date.now;
  const refusals: GatewayRefusal[] = [];
  const refuse = (reason: string): void => {
    const refusal = { at: clock(), reason };
    if (refusals.length < MAX_REFUSALS_LOGGED) refusals.push(refusal);
    try {
      options.onRefusal?.(refusal);
    } catch {
      // A listener's failure must not stop the gateway from refusing.
    }
  };
  const sockets = new Set<Socket>();
  let reportFailure: (reason: string) => void = () => undefined;
  const failure = new Promise<string>((resolve) => (reportFailure = resolve));
  const log = new DecisionLog({
    decide: options.decide,
    onDecision: options.onDecision,
    onHalt: (reason) => {
      // Open tunnels end with the halt: the refusal in flight is written first, then all close.
      setImmediate(() => {
        for (const socket of sockets) socket.destroy();
      });
      try {
        options.onHalt?.(reason);
      } catch (error) {
        reportFailure(`the halt listener threw: ${String(error)}`);
      }
    },
    clock,
    maxLogged: limits.maxDecisionsLogged,
  });
  const userResolve = options.resolve ?? systemResolver;
  const resolve: Resolver = (host) =>
    isIP(host) !== 0 ? Promise.resolve([host]) : userResolve(host);
  const pending = new Set<Promise<void>>();
  const context: ProxyContext = {
    identify: options.identify,
    log,
    resolve,
    limits,
    refuse,
    pending,
  };

  const started = new WeakSet<Duplex>();
  let closing = false;
  // Every client socket, TCP or unix, proxy or DNS, passes here: over the bound it is closed at once.
  const admit = (socket: Socket): boolean => {
    socket.on('error', () => undefined);
    if (closing || sockets.size >= limits.maxConnections) {
      refuse(closing ? 'the gateway is closing' : 'too many connections');
      socket.destroy();
      return false;
    }
    sockets.add(socket);
    const timer = setTimeout(() => {
      if (started.has(socket)) return;
      refuse('headers not complete within the header timeout');
      socket.destroy();
    }, limits.headerTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      sockets.delete(socket);
    });
    return true;
  };

  // The HTTP server listens itself (so node enforces its header timeout on keep-alive requests too);
  // admission runs before its parser sees the socket, for TCP and relayed unix sockets alike.
  const http = proxyServer(limits);
  http.prependListener('connection', (socket: Socket) => {
    admit(socket);
  });
  http.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    started.add(socket);
    handleConnect(context, req, socket, head);
  });
  http.on('request', (req, res) => {
    started.add(req.socket);
    handleRequest(context, req, res);
  });
  http.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    started.add(socket);
    refuseSocket(socket, 501, 'protocol upgrades through the gateway are not supported');
  });
  http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    refuse(
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'headers not complete within the header timeout'
        : `malformed request: ${error.code ?? error.message}`,
    );
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    refuseSocket(socket, status, 'the gateway could not read this request');
  });
  const dnsOptions = { log, resolve, refused: refuse };

  const listeners: NetServer[] = [http];
  const proxyPort = await listenTcp(http);
  const udp = createSocket('udp4');
  const dnsPort = await bindUdp(udp);
  serveUdp(udp, { ...dnsOptions, maxInFlight: limits.maxDnsInFlight });
  let proxySocketPath: string | undefined;
  let dnsSocketPath: string | undefined;
  if (options.socketDir !== undefined) {
    proxySocketPath = join(options.socketDir, 'proxy.sock');
    dnsSocketPath = join(options.socketDir, 'dns.sock');
    // Half-open like node's own HTTP server: a client may end its side of a tunnel and still read.
    const proxyUnix = createNetServer({ allowHalfOpen: true }, (socket) => {
      http.emit('connection', socket);
    });
    const dnsUnix = createNetServer((socket) => {
      if (!admit(socket)) return;
      started.add(socket);
      serveStream(socket, dnsOptions);
    });
    listeners.push(proxyUnix, dnsUnix);
    await listenUnix(proxyUnix, proxySocketPath);
    await listenUnix(dnsUnix, dnsSocketPath);
  }
  for (const listener of listeners) {
    listener.on('error', (error) => {
      reportFailure(`a gateway listener failed: ${error.message}`);
    });
    listener.on('close', () => {
      if (!closing) reportFailure('a gateway listener closed');
    });
  }
  udp.on('error', (error) => {
    reportFailure(`the gateway's resolver failed: ${error.message}`);
  });
  udp.on('close', () => {
    if (!closing) reportFailure("the gateway's resolver closed");
  });

  return {
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    proxyPort,
    dnsPort,
    proxySocketPath,
    dnsSocketPath,
    decisions: log.decisions,
    droppedByAction: log.droppedByAction,
    refusals,
    get openConnections() {
      return sockets.size;
    },
    get droppedDecisions() {
      return log.dropped;
    },
    get halted() {
      return log.halted;
    },
    failure,
    close: async () => {
      closing = true;
      for (const socket of sockets) socket.destroy();
      http.closeAllConnections();
      // A request sent before the close whose pid was still being looked up is decided (and a halt
      // verdict counted) before the gateway reports itself closed.
      await Promise.allSettled(pending);
      await Promise.all([
        ...listeners.map(
          (listener) =>
            new Promise<void>((resolve) =>
              listener.close(() => {
                resolve();
              }),
            ),
        ),
        new Promise<void>((resolve) =>
          udp.close(() => {
            resolve();
          }),
        ),
      ]);
    },
  };
}
