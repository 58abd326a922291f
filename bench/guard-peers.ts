// The processes bench/guard.bench.ts measures between: an upstream that sends bytes, and the gateway
// as it runs beside a step (a process of its own). Each answers a line on its stdin with its CPU time
// so far, so the bench can say what every process spends per MB; ending stdin stops it.
import { spawn, type ChildProcess } from 'node:child_process';

/** Bytes the upstream sends to a client whose first bytes are `big` (else one byte, then close). */
export const TRANSFER_BYTES = 64 * 1024 * 1024;

const CPU_ON_STDIN = `
let asked = '';
process.stdin.on('data', (chunk) => {
  asked += chunk;
  for (; asked.includes('\\n'); asked = asked.slice(asked.indexOf('\\n') + 1)) {
    const { user, system } = process.cpuUsage();
    process.stdout.write((user + system) / 1000 + '\\n');
  }
});
process.stdin.on('close', () => process.exit(0));
`;

const UPSTREAM = `
import { createServer } from 'node:net';
const chunk = Buffer.alloc(1024 * 1024, 0x61);
const server = createServer((socket) => {
  socket.on('error', () => undefined);
  socket.once('data', (first) => {
    if (first.toString() !== 'big') return void socket.end('x');
    let sent = 0;
    const pump = () => {
      while (sent < ${TRANSFER_BYTES}) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
});
server.listen({ host: '127.0.0.1', port: 0 }, () => process.stdout.write(server.address().port + '\\n'));
${CPU_ON_STDIN}`;

const GATEWAY = `
import { startGateway } from '@sathos/guard';
const gateway = await startGateway({
  decide: () => ({ action: 'allow', rule: 'bench', reason: 'bench' }),
  limits: { maxDecisionsLogged: 1 },
});
process.stdout.write(gateway.proxyPort + '\\n');
${CPU_ON_STDIN}`;

export interface Peer {
  readonly port: number;
  /** The process's CPU time (user + system) so far, in milliseconds. */
  cpuMs(): Promise<number>;
  stop(): void;
}

// Starts a peer and resolves once it printed its port; later lines answer `cpuMs()` in order.
function startPeer(args: readonly string[]): Promise<Peer> {
  const child: ChildProcess = spawn(process.execPath, [...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: ((line: string) => void)[] = [];
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
      waiting.shift()?.(text.slice(0, end));
      text = text.slice(end + 1);
    }
  });
  const nextLine = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => {
      reject(new Error(`a bench peer (${args.join(' ').slice(0, 40)}…) ended early`));
    });
    void nextLine().then((port) => {
      resolve({
        port: Number(port),
        cpuMs: async () => {
          const line = nextLine();
          child.stdin?.write('cpu\n');
          return Number(await line);
        },
        stop: () => child.stdin?.end(),
      });
    });
  });
}

/** The upstream the client fetches from, directly or through the gateway. */
export const startUpstream = (): Promise<Peer> =>
  startPeer(['--input-type=module', '-e', UPSTREAM]);

/** The gateway in its own process, allowing everything. */
export const startGatewayProcess = (): Promise<Peer> =>
  startPeer(['--import', 'tsx', '--input-type=module', '-e', GATEWAY]);
