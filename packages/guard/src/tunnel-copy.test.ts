// The tunnel's copy loop reuses its read buffers: these tests send bytes that differ everywhere
// (a buffer overwritten while a write still held it would show as a wrong digest), through a real
// gateway and into a client that stalls, and show a stalled client stops the upstream being read.
// Bulk transfers move to 1 MiB buffers, of which the gateway holds a bounded number at once.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startGateway, type Gateway } from './gateway.js';
import { allowOnly, loopbackResolver, payloadServer } from './test-servers.js';
import {
  bulkBuffersInUse,
  connectCopyingTo,
  MAX_BULK_BUFFERS,
  TUNNEL_BULK_BUFFER_BYTES,
  TUNNEL_READ_BUFFER_BYTES,
} from './tunnel-copy.js';

const PAYLOAD = randomBytes(12 * 1024 * 1024);
const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

// CONNECT through the gateway; resolves with the socket once the tunnel is open (the 200 read).
function openTunnel(proxyPort: number, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: proxyPort, allowHalfOpen: true });
    socket.once('error', reject);
    socket.write(`CONNECT payload.test:${port} HTTP/1.1\r\nHost: payload.test:${port}\r\n\r\n`);
    socket.once('data', (answer: Buffer) => {
      const text = answer.toString('latin1');
      assert.equal(text, 'HTTP/1.1 200 Connection Established\r\n\r\n');
      resolve(socket);
    });
  });
}

// Reads until the tunnel closes, stopping for a moment after every 256 KiB so writes back up.
function readStalling(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sinceStall = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      sinceStall += chunk.length;
      if (sinceStall < 256 * 1024) return;
      sinceStall = 0;
      socket.pause();
      setTimeout(() => socket.resume(), 2);
    });
    socket.once('error', reject);
    socket.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    socket.resume();
  });
}

describe('the tunnel copy loop', { timeout: 60_000 }, () => {
  let source: Awaited<ReturnType<typeof payloadServer>>;
  let gateway: Gateway;
  before(async () => {
    source = await payloadServer(PAYLOAD);
    gateway = await startGateway({ decide: allowOnly('payload.test'), resolve: loopbackResolver });
  });
  after(async () => {
    await gateway.close();
    source.close();
  });

  it('delivers every byte unchanged and in order to a client that keeps stalling', async () => {
    const socket = await openTunnel(gateway.proxyPort, source.port);
    socket.write('send');
    const received = await readStalling(socket);
    assert.equal(received.length, PAYLOAD.length);
    assert.equal(digest(received), digest(PAYLOAD));
  });

  it('keeps tunnels apart that run at once and reuse the buffers of closed ones', async () => {
    for (let wave = 0; wave < 2; wave++) {
      const received = await Promise.all(
        [0, 1, 2].map(async () => {
          const socket = await openTunnel(gateway.proxyPort, source.port);
          socket.write('send');
          return readStalling(socket);
        }),
      );
      for (const bytes of received) assert.equal(digest(bytes), digest(PAYLOAD));
    }
  });

  it('moves bulk tunnels to bulk buffers, never more than the bound at once, and gives them back', async () => {
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, bulkBuffersInUse());
    }, 1);
    const count = MAX_BULK_BUFFERS + 4;
    try {
      const received = await Promise.all(
        Array.from({ length: count }, async () => {
          const socket = await openTunnel(gateway.proxyPort, source.port);
          socket.write('send');
          return readStalling(socket);
        }),
      );
      for (const bytes of received) assert.equal(digest(bytes), digest(PAYLOAD));
    } finally {
      clearInterval(sampler);
    }
    assert.ok(most > 0, 'no tunnel moved to a bulk buffer');
    assert.ok(most <= MAX_BULK_BUFFERS, `${most} bulk buffers held at once`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(bulkBuffersInUse(), 0);
  });

  it('carries the upload unchanged, and the answer after the client half-closed', async () => {
    const socket = await openTunnel(gateway.proxyPort, source.port);
    const upload = PAYLOAD.subarray(0, 3 * 1024 * 1024);
    socket.end(Buffer.concat([Buffer.from('echo'), upload]));
    const received = await readStalling(socket);
    assert.equal(digest(received), digest(upload));
  });

  it('stops reading the upstream while the client does not take its bytes', async () => {
    // The client is one end of a unix socket whose other end does not read yet: the kernel holds
    // little for it, so what the copy loop read shows whether it waited for the client.
    const dir = await mkdtemp(join(tmpdir(), 'sathos-tunnel-'));
    const peers: Socket[] = [];
    const unix = createServer((peer) => {
      peer.pause();
      peers.push(peer);
    });
    await new Promise<void>((resolve) => unix.listen(join(dir, 'client.sock'), resolve));
    const client = connect({ path: join(dir, 'client.sock') });
    await new Promise((resolve) => client.once('connect', resolve));
    const upstream = connectCopyingTo({ host: '127.0.0.1', port: source.port }, client);
    upstream.on('error', () => undefined);
    await new Promise((resolve) => upstream.once('connect', resolve));
    upstream.write('send');
    // Give the upstream ample time to run ahead, if it were not held back.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const heldBack = upstream.bytesRead;
    assert.ok(
      heldBack <= TUNNEL_READ_BUFFER_BYTES + TUNNEL_BULK_BUFFER_BYTES + 1024 * 1024,
      `read ${heldBack} bytes from the upstream into a client that took none`,
    );
    const peer = peers[0];
    assert.ok(peer !== undefined);
    const received = await readStalling(peer);
    assert.equal(digest(received), digest(PAYLOAD));
    client.destroy();
    unix.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a stream that is not a socket copies, since it may keep what it is given', async () => {
    const client = new PassThrough({ highWaterMark: 64 * 1024 });
    const upstream = connectCopyingTo({ host: '127.0.0.1', port: source.port }, client);
    upstream.on('error', () => undefined);
    upstream.once('connect', () => upstream.write('send'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => client.once('end', resolve));
    assert.equal(digest(Buffer.concat(chunks)), digest(PAYLOAD));
  });
});
