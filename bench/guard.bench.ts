// What the guard costs a step: bytes through a CONNECT tunnel against the same transfer straight over
// loopback, connections per second through the gateway against direct ones, the CPU each process
// spends per MB, and the supervisor's start-up overhead against running the bare command. The
// upstream, the gateway and the client (this process) are three processes, as in real use.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { EgressDecider } from '@sathos/core';
import { chooseSandbox, prepareSandbox, supervise } from '@sathos/guard';
import { startGatewayProcess, startUpstream, TRANSFER_BYTES, type Peer } from './guard-peers.js';
import { measure, ratio, type BenchRow, type Measurement } from './lib.js';

const THROUGHPUT_TARGET = 0.85;
const STARTUP_TARGET_MS = 100;
const ROUNDS = 3;

const allowAll: EgressDecider = () => ({ action: 'allow', rule: 'bench', reason: 'bench' });

// Opens a connection to the source, directly or through a CONNECT tunnel; resolves once usable.
function open(port: number, proxyPort: number | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: proxyPort ?? port });
    socket.once('error', reject);
    if (proxyPort === undefined) {
      socket.once('connect', () => {
        resolve(socket);
      });
      return;
    }
    socket.once('connect', () => socket.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`));
    socket.once('data', (answer: Buffer) => {
      if (!answer.toString('latin1').startsWith('HTTP/1.1 200'))
        reject(new Error('tunnel refused'));
      else resolve(socket);
    });
  });
}

/** Asks for `big` or one byte and reads until the server closes; resolves with the bytes read. */
async function fetchAll(
  port: number,
  proxyPort: number | undefined,
  big: boolean,
): Promise<number> {
  const socket = await open(port, proxyPort);
  return new Promise((resolve, reject) => {
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.once('error', reject);
    socket.once('close', () => {
      resolve(bytes);
    });
    socket.write(big ? 'big' : 'one');
  });
}

function runBare(command: string, args: readonly string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', () => {
      resolve();
    });
  });
}

function medianRound(rounds: readonly Measurement[]): Measurement {
  const sorted = [...rounds].sort((a, b) => a.medianNs - b.medianNs);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no measurement rounds');
  return middle;
}

/** Runs each subject ROUNDS times, interleaved, and keeps each one's median round. */
async function interleaved(
  subjects: Readonly<Record<string, () => Promise<unknown>>>,
  options: { minIterations: number; minMillis: number },
): Promise<Record<string, Measurement>> {
  const rounds: Record<string, Measurement[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(subjects)) {
      (rounds[name] ??= []).push(await measure(fn, options));
    }
  }
  return Object.fromEntries(
    Object.entries(rounds).map(([name, list]) => [name, medianRound(list)]),
  );
}

const mbPerSecond = (m: Measurement): number =>
  Math.round((TRANSFER_BYTES / 1e6 / (m.medianNs / 1e9)) * 10) / 10;
const perSecond = (m: Measurement): number => Math.round(1e9 / m.medianNs);
const millis = (m: Measurement): number => Math.round(m.medianNs / 1e5) / 10;

const CPU_TRANSFERS = 4;

/** CPU milliseconds per MB moved: the client's (this process), the upstream's, the gateway's. */
async function cpuPerMb(
  upstream: Peer,
  gateway: Peer | undefined,
): Promise<{ client: number; upstream: number; gateway: number }> {
  const before = [process.cpuUsage(), await upstream.cpuMs(), await gateway?.cpuMs()] as const;
  for (let transfer = 0; transfer < CPU_TRANSFERS; transfer++) {
    await fetchAll(upstream.port, gateway?.port, true);
  }
  const client = process.cpuUsage(before[0]);
  const megabytes = (CPU_TRANSFERS * TRANSFER_BYTES) / 1e6;
  const perMb = (ms: number): number => Math.round((ms / megabytes) * 1000) / 1000;
  return {
    client: perMb((client.user + client.system) / 1000),
    upstream: perMb((await upstream.cpuMs()) - before[1]),
    gateway: gateway === undefined ? 0 : perMb((await gateway.cpuMs()) - (before[2] ?? 0)),
  };
}

async function gatewayRows(): Promise<BenchRow[]> {
  const [upstream, gateway] = await Promise.all([startUpstream(), startGatewayProcess()]);
  const port = upstream.port;
  try {
    const transfer = await interleaved(
      {
        direct: () => fetchAll(port, undefined, true),
        gateway: () => fetchAll(port, gateway.port, true),
      },
      { minIterations: 3, minMillis: 500 },
    );
    const connections = await interleaved(
      {
        direct: () => fetchAll(port, undefined, false),
        gateway: () => fetchAll(port, gateway.port, false),
      },
      { minIterations: 50, minMillis: 500 },
    );
    const direct = await cpuPerMb(upstream, undefined);
    const tunnelled = await cpuPerMb(upstream, gateway);
    const throughput = ratio(transfer.direct as Measurement, transfer.gateway as Measurement);
    const rate = ratio(connections.direct as Measurement, connections.gateway as Measurement);
    return [
      {
        name: `guard gateway: ${TRANSFER_BYTES / 1024 / 1024} MiB through a CONNECT tunnel`,
        value: mbPerSecond(transfer.gateway as Measurement),
        unit: 'MB/s',
        yardstick: `the same transfer over loopback directly, ${mbPerSecond(transfer.direct as Measurement)} MB/s`,
        ratio: throughput,
        target: `≥ ${THROUGHPUT_TARGET}× the direct throughput`,
        pass: throughput >= THROUGHPUT_TARGET,
      },
      {
        name: 'guard gateway: connections per second (CONNECT, decide, 1 byte, close)',
        value: perSecond(connections.gateway as Measurement),
        unit: 'conn/s',
        yardstick: `direct loopback connections, ${perSecond(connections.direct as Measurement)} conn/s`,
        ratio: rate,
      },
      {
        // Where the throughput limit is on few cores: the gateway's CPU per MB comes on top of
        // what the two ends spend, and every process needs a core at the same time.
        name: 'guard gateway: CPU per MB tunnelled, gateway process',
        value: tunnelled.gateway,
        unit: 'ms/MB',
        yardstick: `client + upstream per MB directly, ${direct.client} + ${direct.upstream} ms/MB (through the tunnel: ${tunnelled.client} + ${tunnelled.upstream})`,
        ratio: tunnelled.gateway / (direct.client + direct.upstream),
      },
    ];
  } finally {
    gateway.stop();
    upstream.stop();
  }
}

async function startupRows(): Promise<BenchRow[]> {
  const strongest = (await chooseSandbox('auto')).kind;
  const sandboxes =
    strongest === 'netns' ? (['netns', 'proxy-env'] as const) : (['proxy-env'] as const);
  // `node -e 0` is measured for scale: the namespace init is one node start-up.
  const subjects: Record<string, () => Promise<unknown>> = {
    bare: () => runBare('true'),
    node: () => runBare(process.execPath, ['-e', '0']),
  };
  for (const sandbox of sandboxes) {
    subjects[sandbox] = () =>
      supervise({ command: 'true', decide: allowAll, sandbox, output: 'inherit' });
  }
  const results = await interleaved(subjects, { minIterations: 5, minMillis: 300 });
  const bare = results.bare as Measurement;
  const rows = sandboxes.map((sandbox) => {
    const supervised = results[sandbox] as Measurement;
    const overheadMs = Math.round((supervised.medianNs - bare.medianNs) / 1e5) / 10;
    return {
      name: `guard supervise: start-up overhead, sandbox ${sandbox} (command: true)`,
      value: overheadMs,
      unit: 'ms',
      yardstick: `running \`true\` bare, ${millis(bare)} ms (supervised: ${millis(supervised)} ms; \`node -e 0\`: ${millis(results.node as Measurement)} ms)`,
      ratio: ratio(supervised, bare),
      target: `< ${STARTUP_TARGET_MS} ms over the bare command`,
      pass: overheadMs < STARTUP_TARGET_MS,
    };
  });
  if (strongest !== 'netns') return rows;
  const prepared = await preparedNamespaceMs();
  const overheadMs = Math.round((prepared * 1e6 - bare.medianNs) / 1e5) / 10;
  return [
    ...rows,
    {
      // What the CLI and actions/guard see: they prepare the sandbox first, and its init boots
      // while they read the policy and restore the baseline (for the action, a cache round trip).
      name: `guard supervise: start-up overhead, sandbox netns prepared ${PREPARED_AHEAD_MS} ms ahead (command: true)`,
      value: overheadMs,
      unit: 'ms',
      yardstick: `running \`true\` bare, ${millis(bare)} ms (supervised: ${Math.round(prepared * 10) / 10} ms)`,
      ratio: (prepared * 1e6) / bare.medianNs,
      target: `< ${STARTUP_TARGET_MS} ms over the bare command, once prepared`,
      pass: overheadMs < STARTUP_TARGET_MS,
    },
  ];
}

const PREPARED_AHEAD_MS = 400;
const PREPARED_RUNS = 7;

/** The median time of supervise() given a namespace prepared PREPARED_AHEAD_MS before, in ms. */
async function preparedNamespaceMs(): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < PREPARED_RUNS; run++) {
    const prepared = prepareSandbox('netns', 'inherit');
    await new Promise((resolve) => setTimeout(resolve, PREPARED_AHEAD_MS));
    const start = performance.now();
    await supervise({ command: 'true', decide: allowAll, prepared });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

export default async function run(): Promise<BenchRow[]> {
  return [...(await gatewayRows()), ...(await startupRows())];
}
