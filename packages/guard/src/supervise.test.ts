// The supervisor with real processes: a step calling two loopback servers reaches only the allowed
// one (and, in a namespace, a client ignoring the proxy reaches nothing); a halt or a deadline ends
// the whole tree, double-forked daemons included; exit status and output pass through unchanged.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { EgressDecider } from '@sathos/core';
import { chooseSandbox } from './sandbox.js';
import { exitStatusOf, supervise, type SupervisorEvent } from './supervise.js';
import {
  allowOnly,
  countingServer,
  loopbackResolver,
  type CountingServer,
} from './test-servers.js';

const NODE = process.execPath;

/** Pids of live processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) found.push(Number(name));
    } catch {
      // Gone already.
    }
  }
  return found;
}

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

/** A step (node -e) that asks the proxy for both servers and then connects directly to the second. */
/** The step (node -e): Node's own fetch() of first.test and second.test, printing how each went. */
const FETCH_BOTH = [
  'const [a, b] = process.argv.slice(1);',
  "const get = (u) => fetch(u).then(async (r) => r.status + ' ' + (await r.text()), () => 'failed');",
  'Promise.all([get(`http://first.test:${a}/`), get(`http://second.test:${b}/`)]).then(([x, y]) => console.log(`first: ${x}\\nsecond: ${y}`));',
].join('\n');

const CALL_BOTH = String.raw`
const http = require('node:http');
const net = require('node:net');
const proxy = new URL(process.env.HTTP_PROXY);
const dns = require('node:dns');
const [first, second] = process.argv.slice(1, 3).map(Number);
const unixPath = process.argv[3];
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
(async () => {
  console.log('first: ' + (await get('first.test', first)));
  console.log('second: ' + (await get('second.test', second)));
  console.log('direct: ' + (await direct(second)));
  if (unixPath) {
    // Try the socket itself, after trying to unmount its cover and /proc, and through every
    // process's root in /proc (a host process's root would show the socket uncovered).
    require('node:child_process').spawnSync('umount', [unixPath]);
    require('node:child_process').spawnSync('umount', ['/proc']);
    const pids = require('node:fs').readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n));
    const paths = [unixPath, ...pids.map((pid) => '/proc/' + pid + '/root' + unixPath)];
    const reached = [];
    for (const path of paths) {
      const result = await new Promise((resolve) => {
        const socket = net.connect({ path }, () => { socket.destroy(); resolve('connected'); });
        socket.on('error', (e) => resolve('error ' + e.code));
      });
      if (result === 'connected') reached.push(path);
    }
    console.log('unix: ' + (reached.length === 0 ? 'unreachable' : 'reached ' + reached.join(' ')));
  }
  for (const name of ['first.test', 'second.test']) {
    console.log('dns ' + name + ': ' + (await new Promise((resolve) => dns.lookup(name, { family: 4 }, (e, a) => resolve(e ? e.code : a)))));
  }
})();
`;

/** node -e: a child that starts a grandchild which starts a daemon (setsid) and then calls out. */
function treeScript(marker: string, port: number): string {
  const daemon = `process.on('SIGTERM', () => {}); process.stdout.write('up'); setInterval(() => {}, 1000);`;
  const grandchild = String.raw`
const { spawn } = require('node:child_process');
const http = require('node:http');
const proxy = new URL(process.env.HTTP_PROXY);
const d = spawn(process.execPath, ['-e', ${JSON.stringify(daemon)}, '${marker}'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
d.stdout.once('data', () => {
  d.stdout.destroy();
  d.unref();
  http.get({ host: proxy.hostname, port: proxy.port, path: 'http://denied.test:${port}/' }, () => {}).on('error', () => {});
});
setInterval(() => {}, 1000);
`;
  const child = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}, '${marker}'], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
  return child;
}

const haltOn =
  (host: string): EgressDecider =>
  (request) =>
    request.host === host
      ? { action: 'halt', rule: 'deniedHosts[0]', reason: `${host} is a known exfiltration host` }
      : { action: 'allow', rule: 'default', reason: 'allowed' };

describe('supervise', () => {
  let first: CountingServer;
  let second: CountingServer;
  let namespaceAvailable = false;

  before(async () => {
    first = await countingServer('answer from the first server');
    second = await countingServer('answer from the second server');
    namespaceAvailable = (await chooseSandbox('auto')).kind === 'netns';
  });
  after(async () => {
    await first.close();
    await second.close();
  });

  it('in a namespace, the step reaches only the allowed server, proxy-aware or not', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const out = collector();
    const err = collector();
    // A daemon's socket on the host (Docker's, say): reaching it would be a way out unseen.
    const dir = await mkdtemp(join(tmpdir(), 'sathos-daemon-'));
    let daemonConnections = 0;
    const daemon = createServer(() => daemonConnections++);
    await new Promise<void>((resolve) => daemon.listen(join(dir, 'daemon.sock'), resolve));
    t.after(async () => {
      daemon.close();
      await rm(dir, { recursive: true, force: true });
    });
    const report = await supervise({
      command: NODE,
      args: ['-e', CALL_BOTH, String(first.port), String(second.port), join(dir, 'daemon.sock')],
      decide: allowOnly('first.test'),
      resolve: loopbackResolver,
      output: { stdout: out.stream, stderr: err.stream },
    });
    assert.equal(report.sandbox, 'netns');
    assert.equal(report.containment, 'pid-namespace');
    assert.match(out.text(), /^first: 200 answer from the first server$/m);
    assert.match(out.text(), /^second: 403 sathos guard: blocked second\.test/m);
    assert.match(out.text(), /^direct: error ECONNREFUSED$/m);
    assert.match(out.text(), /^unix: unreachable$/m);
    assert.match(out.text(), /^dns first\.test: 127\.0\.0\.1$/m);
    assert.match(out.text(), /^dns second\.test: ENOTFOUND$/m);
    assert.equal(second.connections(), 0, 'the second server never saw a connection');
    assert.equal(daemonConnections, 0, 'the host daemon never saw a connection');
    const blocked = report.decisions.filter((d) => d.verdict.action === 'block');
    assert.deepEqual(
      blocked.map((d) => [d.request.host, d.request.port, d.request.protocol]),
      [
        ['second.test', second.port, 'http'],
        ['second.test', 53, 'dns'],
      ],
    );
    assert.equal(report.exitCode, 0);
    assert.equal(report.halted, undefined);
  });

  it('with proxy variables only, proxy-aware clients are decided and the report says what went unseen', async () => {
    const out = collector();
    const before = second.connections();
    let startedPid: number | undefined;
    const report = await supervise({
      command: NODE,
      args: ['-e', CALL_BOTH, String(first.port), String(second.port)],
      decide: allowOnly('first.test'),
      resolve: loopbackResolver,
      sandbox: 'proxy-env',
      output: { stdout: out.stream, stderr: new PassThrough() },
      onEvent: (event) => {
        if (event.kind === 'started') startedPid = event.pid;
      },
    });
    assert.equal(report.sandbox, 'proxy-env');
    assert.match(report.sandboxNote, /ignore them connected directly and went unseen/);
    assert.match(out.text(), /^first: 200 answer from the first server$/m);
    assert.match(out.text(), /^second: 403 /m);
    // The direct client is the one this level cannot stop: exactly the connection it made.
    assert.match(out.text(), /^direct: connected$/m);
    assert.equal(second.connections(), before + 1);
    assert.ok(
      report.decisions.some(
        (d) => d.request.host === 'second.test' && d.verdict.action === 'block',
      ),
    );
    // The step's own process asked: its pid (the root of the tree) is in the log.
    assert.deepEqual([...new Set(report.decisions.map((d) => d.request.pid))], [startedPid]);
  });

  for (const sandbox of ['netns', 'proxy-env'] as const) {
    // Node's own fetch ignores the proxy variables unless NODE_USE_ENV_PROXY=1 is in its
    // environment. The supervisor does not set it for the step: with it, Node's http rejects the
    // manual proxying many clients do (an absolute URL as the path through the default agent).
    it(`${sandbox}: a Node step's plain fetch() with NODE_USE_ENV_PROXY=1 goes through the gateway and is decided`, async (t) => {
      if (sandbox === 'netns' && !namespaceAvailable) {
        t.skip('no network namespace on this machine');
        return;
      }
      const out = collector();
      const before = second.connections();
      const report = await supervise({
        command: NODE,
        args: ['-e', FETCH_BOTH, String(first.port), String(second.port)],
        env: { ...process.env, NODE_USE_ENV_PROXY: '1' },
        decide: allowOnly('first.test'),
        resolve: loopbackResolver,
        sandbox,
        output: { stdout: out.stream, stderr: new PassThrough() },
      });
      assert.equal(report.exitCode, 0);
      // first.test resolves only in the gateway (loopbackResolver): reaching it proves the path.
      assert.match(out.text(), /^first: 200 answer from the first server$/m);
      // fetch tunnels even plain HTTP with CONNECT: the refused tunnel fails the request.
      assert.match(out.text(), /^second: failed$/m);
      assert.equal(second.connections(), before, 'the second server saw a connection');
      assert.ok(
        report.decisions.some(
          (d) => d.request.host === 'second.test' && d.verdict.action === 'block',
        ),
      );
    });
  }

  it("netns: without NODE_USE_ENV_PROXY, a Node step's fetch() reaches nothing (there is no route)", async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const out = collector();
    const before = [first.connections(), second.connections()];
    const env = { ...process.env };
    delete env.NODE_USE_ENV_PROXY;
    const report = await supervise({
      command: NODE,
      args: ['-e', FETCH_BOTH, String(first.port), String(second.port)],
      env,
      decide: allowOnly('first.test'),
      resolve: loopbackResolver,
      sandbox: 'netns',
      output: { stdout: out.stream, stderr: new PassThrough() },
    });
    assert.equal(report.exitCode, 0);
    assert.equal(out.text(), 'first: failed\nsecond: failed\n');
    assert.deepEqual([first.connections(), second.connections()], before);
  });

  for (const sandbox of ['netns', 'proxy-env'] as const) {
    it(`${sandbox}: a halt verdict from a grandchild ends the whole tree, daemons included`, async (t) => {
      if (sandbox === 'netns' && !namespaceAvailable) {
        t.skip('no network namespace on this machine');
        return;
      }
      const marker = `sathos-halt-test-${sandbox}-${process.pid}-${Date.now()}`;
      const events: SupervisorEvent[] = [];
      const report = await supervise({
        command: NODE,
        args: ['-e', treeScript(marker, first.port), marker],
        decide: haltOn('denied.test'),
        resolve: loopbackResolver,
        graceMs: 300,
        sandbox,
        onEvent: (event) => events.push(event),
        output: { stdout: new PassThrough(), stderr: new PassThrough() },
      });
      assert.equal(report.halted?.cause, 'egress', report.halted?.reason);
      assert.match(
        report.halted.reason,
        /denied\.test:\d+ \(http\): denied\.test is a known exfiltration host/,
      );
      assert.notEqual(exitStatusOf(report), 0);
      assert.deepEqual(await processesWith(marker), [], 'no process of the tree remains');
      assert.ok(events.some((e) => e.kind === 'halting'));
      assert.equal(events.at(-1)?.kind, 'exited');
      if (report.sandbox === 'proxy-env') assert.notEqual(report.containment, 'pid-namespace');
    });
  }

  it('proxy-env: a halt verdict answered after the step exited 0 still fails it', async () => {
    // The step writes its CONNECT and exits at once: the gateway, still finding the client's pid
    // among the step's descriptors (2,000 of them, to take a while), decides after the root process
    // is gone. A late halt verdict used to leave the step passing.
    const script = String.raw`
const net = require('node:net');
for (let i = 0; i < 2000; i++) require('node:fs').openSync('/dev/null', 'r');
const proxy = new URL(process.env.HTTP_PROXY);
const socket = net.connect({ host: proxy.hostname, port: Number(proxy.port) }, () => {
  socket.write('CONNECT denied.test:1 HTTP/1.1\r\nHost: denied.test:1\r\n\r\n', () => process.exit(0));
});`;
    const report = await supervise({
      command: NODE,
      args: ['-e', script],
      decide: haltOn('denied.test'),
      resolve: loopbackResolver,
      graceMs: 300,
      sandbox: 'proxy-env',
      output: { stdout: new PassThrough(), stderr: new PassThrough() },
    });
    assert.ok(report.decisions.some((d) => d.verdict.action === 'halt'));
    assert.equal(report.halted?.cause, 'egress');
    assert.equal(exitStatusOf(report), 1);
  });

  it('proxy-env: a daemon that writes itself out of the step cgroup and session is still halted', async () => {
    const marker = '29.4417';
    // A new session (detached), then into the cgroup above the step's, out of reach of cgroup.kill.
    const daemon =
      "m=$(grep -m1 ' - cgroup2 ' /proc/self/mountinfo | cut -d' ' -f5); " +
      "p=$(sed -n 's/^0:://p' /proc/self/cgroup); " +
      `echo $$ > "$m$(dirname "$p")/cgroup.procs" 2>/dev/null && echo moved; exec sleep ${marker}`;
    const script = String.raw`
const { spawn } = require('node:child_process');
const http = require('node:http');
const child = spawn('sh', ['-c', process.argv[1]], { detached: true, stdio: ['ignore', 'inherit', 'ignore'] });
setTimeout(() => {
  const proxy = new URL(process.env.HTTP_PROXY);
  http.get({ host: proxy.hostname, port: proxy.port, path: 'http://denied.test:1/' }).on('error', () => {});
  setInterval(() => {}, 1000);
}, 1500);`;
    const out = collector();
    const report = await supervise({
      command: NODE,
      args: ['-e', script, daemon],
      decide: haltOn('denied.test'),
      resolve: loopbackResolver,
      graceMs: 300,
      sandbox: 'proxy-env',
      output: { stdout: out.stream, stderr: new PassThrough() },
    });
    assert.equal(report.halted?.cause, 'egress');
    if (report.containment === 'cgroup') assert.match(out.text(), /^moved$/m);
    assert.deepEqual(await processesWith(marker), [], 'the escaped daemon is gone');
  });

  it('halts a step past its deadline (sleep 30 with a 2 s deadline)', async () => {
    const marker = '29.7131';
    const report = await supervise({
      command: 'sleep',
      args: [marker],
      decide: allowOnly(),
      deadlineMs: 2000,
      graceMs: 500,
      output: { stdout: new PassThrough(), stderr: new PassThrough() },
    });
    assert.equal(report.halted?.cause, 'deadline');
    assert.match(report.halted.reason, /past its deadline of 2000 ms/);
    assert.equal(report.deadlineMs, 2000);
    assert.deepEqual(await processesWith(`sleep\u0000${marker}`), []);
  });

  it('halts on a deadline that passes before the step is even running', async () => {
    const marker = '29.7133';
    const report = await supervise({
      command: 'sleep',
      args: [marker],
      decide: allowOnly(),
      deadlineMs: 1,
      graceMs: 300,
      output: { stdout: new PassThrough(), stderr: new PassThrough() },
    });
    assert.equal(report.halted?.cause, 'deadline');
    assert.deepEqual(await processesWith(`sleep\u0000${marker}`), []);
  });

  it('passes the exit status and both output streams through unchanged, in order', async () => {
    const out = collector();
    const err = collector();
    const script = `for (let i = 1; i <= 300; i++) { process.stdout.write('out ' + i + '\\n'); process.stderr.write('err ' + i + '\\n'); } process.exitCode = 7;`;
    const report = await supervise({
      command: NODE,
      args: ['-e', script],
      decide: allowOnly(),
      output: { stdout: out.stream, stderr: err.stream },
    });
    const expected = (prefix: string): string =>
      Array.from({ length: 300 }, (_, i) => `${prefix} ${i + 1}\n`).join('');
    assert.equal(out.text(), expected('out'));
    assert.equal(err.text(), expected('err'));
    assert.equal(report.exitCode, 7);
    assert.equal(exitStatusOf(report), 7);
    assert.equal(report.halted, undefined);
    assert.deepEqual(report.decisions, []);
  });

  it('a command that does not exist exits 127, like a shell', async () => {
    const err = collector();
    const report = await supervise({
      command: 'sathos-no-such-command',
      decide: allowOnly(),
      output: { stdout: new PassThrough(), stderr: err.stream },
    });
    assert.equal(report.exitCode, 127);
    assert.match(err.text(), /sathos-no-such-command/);
  });

  it('fails closed when the namespace init (the relay) dies: the step fails, its tree is gone', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const marker = `sathos-init-dies-${process.pid}-${Date.now()}`;
    const report = await supervise({
      command: NODE,
      args: ['-e', `console.log('running'); setInterval(() => {}, 1000);`, marker],
      decide: allowOnly(),
      output: { stdout: new PassThrough(), stderr: new PassThrough() },
      onEvent: (event) => {
        if (event.kind !== 'started') return;
        void readFile(`/proc/${event.pid}/task/${event.pid}/children`, 'utf8').then((text) => {
          process.kill(Number(text.trim().split(/\s+/)[0]), 'SIGKILL');
        });
      },
    });
    assert.equal(report.halted?.cause, 'supervisor');
    assert.match(report.halted.reason, /namespace init ended without reporting/);
    assert.equal(exitStatusOf(report), 1);
    assert.deepEqual(await processesWith(marker), []);
  });

  it('fails closed when loopback cannot be brought up: the step never runs, ip says why', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    // An `ip` first on the PATH that refuses, as a kernel without the netlink rights would.
    const bin = await mkdtemp(join(tmpdir(), 'sathos-no-ip-'));
    await writeFile(
      join(bin, 'ip'),
      '#!/bin/sh\necho "RTNETLINK answers: Operation not permitted" >&2\nexit 2\n',
      { mode: 0o755 },
    );
    const marker = join(bin, 'step-ran');
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      const report = await supervise({
        command: 'touch',
        args: [marker],
        decide: allowOnly(),
        sandbox: 'netns',
        output: { stdout: new PassThrough(), stderr: new PassThrough() },
      });
      assert.equal(report.halted?.cause, 'supervisor');
      assert.match(
        report.halted.reason,
        /loopback.*ip link set lo up: RTNETLINK answers: Operation not permitted/,
      );
      assert.equal(exitStatusOf(report), 1);
      await assert.rejects(readFile(marker), { code: 'ENOENT' });
    } finally {
      process.env.PATH = path;
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('halts the whole tree when the caller cancels (its own SIGTERM, say)', async () => {
    const marker = `sathos-cancel-${process.pid}-${Date.now()}`;
    const controller = new AbortController();
    const report = await supervise({
      command: NODE,
      args: ['-e', `console.log('up'); setInterval(() => {}, 1000);`, marker],
      decide: allowOnly(),
      sandbox: 'proxy-env',
      graceMs: 300,
      signal: controller.signal,
      output: { stdout: new PassThrough(), stderr: new PassThrough() },
      onEvent: (event) => {
        if (event.kind === 'started') controller.abort();
      },
    });
    assert.equal(report.halted?.cause, 'supervisor');
    assert.match(report.halted.reason, /cancelled/);
    assert.deepEqual(await processesWith(marker), []);
  });

  it('in a namespace, the step cannot open a debugger in its init (SIGUSR1 to pid 1)', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const out = collector();
    const script = String.raw`
process.kill(1, 'SIGUSR1');
setTimeout(() => {
  const socket = require('node:net').connect({ host: '127.0.0.1', port: 9229 });
  socket.on('connect', () => { console.log('inspector: open'); process.exit(0); });
  socket.on('error', (e) => console.log('inspector: ' + e.code));
}, 1000);
`;
    const report = await supervise({
      command: NODE,
      args: ['-e', script],
      decide: allowOnly(),
      output: { stdout: out.stream, stderr: new PassThrough() },
    });
    assert.equal(report.sandbox, 'netns');
    assert.match(out.text(), /^inspector: ECONNREFUSED$/m);
  });

  it('refuses unusable options with a usage error before starting anything', async () => {
    await assert.rejects(supervise({ command: '', decide: allowOnly() }), { code: 'USAGE' });
    await assert.rejects(supervise({ command: 'true', decide: allowOnly(), deadlineMs: -1 }), {
      code: 'USAGE',
    });
    const unknown = 'chroot' as 'auto';
    await assert.rejects(supervise({ command: 'true', decide: allowOnly(), sandbox: unknown }), {
      code: 'USAGE',
      message: /unknown sandbox "chroot"/,
    });
  });
});
