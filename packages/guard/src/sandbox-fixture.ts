// A supervisor in a process of its own, for the tests that need one: run as another user (the sudo
// route), or killed mid-step (the iptables rules' exit paths). Not a test itself.
//   node --import tsx sandbox-fixture.ts <sandbox> <first port> <second port> [deadline ms]
// With the unprivileged user-namespace probe refused (an injected probe: the rest of the ladder is
// probed for real), it supervises a step that calls both servers and prints one JSON line: the
// report and the step's output.
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SandboxRequest } from './sandbox.js';
import { supervise } from './supervise.js';
import { allowOnly, loopbackResolver } from './test-servers.js';

/** The step: the proxy for both servers, then the second directly, then what it can see of its rights. */
export const FIXTURE_STEP = String.raw`
const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const proxy = new URL(process.env.HTTP_PROXY);
const [first, second, supervisor] = process.argv.slice(1, 4).map(Number);
function get(host, port) {
  return new Promise((resolve) => {
    const req = http.get({ host: proxy.hostname, port: proxy.port, path: 'http://' + host + ':' + port + '/' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode + ' ' + body.trim()));
    });
    req.on('error', (e) => resolve('error ' + e.code));
  });
}
function direct(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (e) => resolve('error ' + e.code));
  });
}
function readable(path) {
  try { fs.readFileSync(path); return 'read'; } catch (e) { return 'error ' + e.code; }
}
(async () => {
  console.log('uid: ' + process.getuid() + ' gid: ' + process.getgid());
  console.log('first: ' + (await get('first.test', first)));
  console.log('second: ' + (await get('second.test', second)));
  console.log('direct first: ' + (await direct(first)));
  console.log('direct second: ' + (await direct(second)));
  console.log('supervisor environ: ' + readable('/proc/' + supervisor + '/environ'));
  const sudo = spawnSync('sudo', ['-n', 'true'], { encoding: 'utf8' });
  console.log('sudo: ' + (sudo.error ? sudo.error.code : 'exit ' + sudo.status));
  console.log('mark: ' + process.env.SATHOS_FIXTURE_MARK);
  for (const name of ['first.test', 'second.test']) {
    const answer = await new Promise((resolve) => require('node:dns').lookup(name, { family: 4 }, (e, a) => resolve(e ? e.code : a)));
    console.log('dns ' + name + ': ' + answer);
  }
  if (process.env.SATHOS_FIXTURE_WAIT) { console.log('waiting'); setInterval(() => {}, 1000); }
})();
`;

async function main(): Promise<void> {
  const [sandbox = 'auto', first = '0', second = '0', deadline] = process.argv.slice(2);
  let stdout = '';
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    // The parent waits for this line to act on a running step (kill this supervisor).
    if (stdout.includes('waiting\n')) process.stderr.write('step waiting\n');
  });
  const report = await supervise({
    command: process.execPath,
    args: ['-e', FIXTURE_STEP, first, second, String(process.pid)],
    // A variable of the step's own: through sudo it must arrive all the same (not via sudo's env).
    env: { ...process.env, SATHOS_FIXTURE_MARK: 'passed to the step' },
    ...(deadline === undefined ? {} : { deadlineMs: Number(deadline) }),
    graceMs: 500,
    decide: allowOnly('first.test'),
    resolve: loopbackResolver,
    sandbox: sandbox as SandboxRequest,
    probers: { namespace: () => Promise.resolve('refused by the test (injected probe)') },
    output: { stdout: out, stderr: out },
  });
  process.stdout.write(`${JSON.stringify({ report, stdout })}\n`);
}

// Only when run, not when a test imports FIXTURE_STEP.
if (process.argv[1] === fileURLToPath(import.meta.url))
  void main().catch((error: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ error: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code })}\n`,
    );
    process.exitCode = 1;
  });
