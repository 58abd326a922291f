// A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution 2.8, no referrers API)
// started on a free loopback port with its storage in a temporary directory, ready once /v2/
// answers, stopped and removed by close(). .ci/run installs the package when it is missing.
// Its start-up is the one thing retried: the free port can be taken by another process between
// finding it and the registry binding it, and a loaded machine can be slow to bring it up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RealRegistry {
  /** `127.0.0.1:<port>`, the registry part of an image reference. */
  readonly host: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Generous: this bounds a wait for start-up on a loaded machine, it asserts nothing. */
const READY_TIMEOUT_MS = 60_000;
const READY_PROBE_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function config(root: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(root)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with ${child.exitCode}: ${output().slice(-500)}`);
    }
    try {
      const response = await fetch(`${url}/v2/`, {
        signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer ${url}/v2/ within ${READY_TIMEOUT_MS} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `docker-registry serve` on loopback, on a fresh port and directory each attempt; throws
 * with the last attempt's output if it never comes up.
 */
export async function startRealRegistry(): Promise<RealRegistry> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function startOnce(): Promise<RealRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'sathos-registry-'));
  const port = await freePort();
  await writeFile(join(dir, 'config.yml'), config(join(dir, 'storage'), port));
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await spawned;
    await waitReady(url, child, () => output);
  } catch (error) {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    close: async () => {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
