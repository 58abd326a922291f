// The tunnel's hot path: bytes from the upstream the gateway opened, copied to the client. A stream
// `pipe` reads 64 KiB at a time into a fresh buffer and passes each through the readable and
// writable machinery; here the upstream socket reads straight into one reused buffer (`onread`)
// and each read is one write to the client. Measured in bench/guard.bench.ts (gateway CPU per MB).
import { connect, Socket, type TcpNetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';

/** Large enough that one read takes what loopback has queued; one is held per open tunnel. */
export const TUNNEL_READ_BUFFER_BYTES = 128 * 1024;

// Buffers of closed tunnels, for the next ones: a fresh 128 KiB per connection made the garbage
// collector a quarter of the gateway's time when connections are short. Bounded, so a burst of
// tunnels leaves at most this many behind.
const MAX_SPARE_BUFFERS = 16;
const spareBuffers: Buffer[] = [];

/**
 * Connects to the upstream and copies everything it sends to `client`, ending `client` when the
 * upstream ends. The buffer is read into again only once the write that holds it is done: a write
 * the kernel took at once leaves nothing queued (`writableLength` 0); otherwise reading stops until
 * that write completes. So bytes in flight are never overwritten and a slow client holds back the
 * upstream. "Done" means "in the kernel" only for a socket: any other stream may keep the chunk it
 * was given, so it gets a copy.
 */
export function connectCopyingTo(options: TcpNetConnectOpts, client: Duplex): Socket {
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(TUNNEL_READ_BUFFER_BYTES);
  const handsToKernel = client instanceof Socket;
  let writes = 0;
  let waitingFor = 0;
  let closed = false;
  // Only a closed upstream with no write still holding the buffer gives it back.
  const release = (): void => {
    if (closed && waitingFor === 0 && spareBuffers.length < MAX_SPARE_BUFFERS) {
      spareBuffers.push(buffer);
    }
  };
  const upstream: Socket = connect({
    ...options,
    onread: {
      buffer,
      callback: (bytes: number): boolean => {
        const id = ++writes;
        const read = buffer.subarray(0, bytes);
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
