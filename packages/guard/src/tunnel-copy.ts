// The tunnel's hot path: bytes from the upstream the gateway opened, copied to the client. A stream
// `pipe` reads 64 KiB at a time into a fresh buffer and passes each through the readable and
// writable machinery; here the upstream socket reads straight into a reused buffer (`onread`) and
// each read is one write to the client. Measured in bench/guard.bench.ts (gateway CPU per MB).
import { connect, Socket, type TcpNetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';

/** Every tunnel's buffer to start with: enough for what a request or an answer of a page brings. */
export const TUNNEL_READ_BUFFER_BYTES = 128 * 1024;

/**
 * A bulk transfer's buffer. A tunnel whose read fills its buffer moves to one of these: each read
 * and write then moves up to 1 MiB, and the gateway's CPU per MB tunnelled halves (measured: 1.1
 * against 0.5 ms/MB on 2 cores), as there are eight times fewer reads, writes and wake-ups.
 */
export const TUNNEL_BULK_BUFFER_BYTES = 1024 * 1024;

/** Bulk buffers held at once, by every tunnel together: the gateway's memory for them is bounded. */
export const MAX_BULK_BUFFERS = 8;

// Buffers of closed tunnels, for the next ones: a fresh 128 KiB per connection made the garbage
// collector a quarter of the gateway's time when connections are short. Bounded, so a burst of
// tunnels leaves at most this many behind; of bulk buffers, two are kept.
const MAX_SPARE_BUFFERS = 16;
const MAX_SPARE_BULK = 2;
const spareBuffers: Buffer[] = [];
const spareBulk: Buffer[] = [];
let bulkInUse = 0;

function takeBulk(): Buffer | undefined {
  if (bulkInUse >= MAX_BULK_BUFFERS) return undefined;
  bulkInUse++;
  return spareBulk.pop() ?? Buffer.allocUnsafe(TUNNEL_BULK_BUFFER_BYTES);
}

/** Bulk buffers held by open tunnels now (for tests). */
export function bulkBuffersInUse(): number {
  return bulkInUse;
}

/**
 * Connects to the upstream and copies everything it sends to `client`, ending `client` when the
 * upstream ends. A buffer is read into again only once the write that holds it is done: a write
 * the kernel took at once leaves nothing queued (`writableLength` 0); otherwise reading stops until
 * that write completes. So bytes in flight are never overwritten and a slow client holds back the
 * upstream — and whenever the next read asks for its buffer, no write holds either, which is when
 * a tunnel moves to a bulk buffer. "Done" means "in the kernel" only for a socket: any other stream
 * may keep the chunk it was given, so it gets a copy.
 */
export function connectCopyingTo(options: TcpNetConnectOpts, client: Duplex): Socket {
  const small = spareBuffers.pop() ?? Buffer.allocUnsafe(TUNNEL_READ_BUFFER_BYTES);
  let bulk: Buffer | undefined;
  let wantsBulk = false;
  const handsToKernel = client instanceof Socket;
  let writes = 0;
  let waitingFor = 0;
  let closed = false;
  // Only a closed upstream with no write still holding a buffer gives its buffers back.
  const release = (): void => {
    if (!closed || waitingFor !== 0) return;
    if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(small);
    if (bulk !== undefined) {
      bulkInUse--;
      if (spareBulk.length < MAX_SPARE_BULK) spareBulk.push(bulk);
      bulk = undefined;
    }
  };
  // Asked before every read, when no write holds a buffer (see above).
  const nextBuffer = (): Buffer => {
    if (wantsBulk && bulk === undefined && !closed) bulk = takeBulk();
    wantsBulk = false;
    return bulk ?? small;
  };
  const upstream: Socket = connect({
    ...options,
    onread: {
      buffer: nextBuffer,
      callback: (bytes: number, buffer: Uint8Array): boolean => {
        const id = ++writes;
        if (bytes === buffer.length) wantsBulk = true;
        const read = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
        client.write(handsToKernel ? read : Buffer.from(read), (error) => {
          // Writes complete in order: once this one is done, so is every earlier one.
          if (waitingFor !== id) return;
          waitingFor = 0;
          if (closed) release();
          else if (error === undefined || error === null) upstream.resume();
        });
        if (client.writableLength === 0) return true;
        waitingFor = id;
        return false;
      },
    },
  });
  upstream.once('end', () => {
    client.end();
  });
  upstream.once('close', () => {
    closed = true;
    release();
  });
  return upstream;
}
