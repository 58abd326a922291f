// The program that runs as pid 1 of the step's namespaces (`node -e`, CommonJS, no imports of ours so
// it survives bundling), once LOOPBACK_UP_SCRIPT brought loopback up. At once, while the supervisor
// readies the gateway, it opens its relays: the namespace's 127.0.0.1 proxy port and port 53, to the gateway's unix
// sockets (the only way out). With the step it covers the host's unix sockets (a daemon behind one
// would connect on the step's behalf), points /etc/resolv.conf at itself, then runs the step. It talks to the supervisor over fd 3, one JSON object per line:
//   in:  {"start": {...}}  {"signal": "SIGTERM" | "SIGKILL"}
//   out: {"ready": {"proxyPort", "notes"}}  {"exit": {"code", "signal"}}  {"failed": "reason"}
// If the supervisor goes away, or a relay fails, it kills everything in the namespace and exits;
// being pid 1, its exit ends every process left in the pid namespace.

/** What the supervisor sends in `{"start": ...}`. */
export interface NamespaceStart {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly proxySocket: string;
  readonly dnsSocket: string;
  /** A resolv.conf naming 127.0.0.1, bind-mounted over /etc/resolv.conf. */
  readonly resolvConf: string;
  /** Unix sockets on the host (a Docker daemon's...) covered by `emptyFile` so none is reachable. */
  readonly hideSockets: readonly string[];
  readonly emptyFile: string;
  /** The same bind mounts (resolv.conf first) as one fstab, so one `mount` process does them all. */
  readonly fstab: string | undefined;
  /**
   * Who the step runs as when the init itself is real root (namespaces made through sudo): the
   * supervisor's own uid, gid and groups, so the step never runs as root.
   */
  readonly runAs?: {
    readonly uid: number;
    readonly gid: number;
    readonly groups: readonly number[];
  };
}

/**
 * Run by `sh` inside the namespaces once the step's paths are known: every bind mount in one
 * `mount --all`; when that fails (a socket gone since the scan), one by one, where a socket still
 * present and left uncovered is fatal and an uncovered resolv.conf is only reported
 * (`resolv.conf not covered`). Loopback and the relays are up before, while the supervisor prepares.
 */
export const NAMESPACE_SETUP_SCRIPT = `
if [ -n "$SATHOS_FSTAB" ] && mount --all --fstab "$SATHOS_FSTAB" 2>/dev/null; then echo "covered at once"; exit 0; fi
mount --bind "$SATHOS_RESOLV" /etc/resolv.conf 2>/dev/null || echo "resolv.conf not covered"
for p; do mount --bind "$SATHOS_EMPTY" "$p" 2>/dev/null || [ ! -e "$p" ] || exit 1; done
`;

// fstab fields escape space, tab, newline and backslash as octal (fstab(5)).
function fstabField(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** The bind mounts as fstab lines: resolv.conf over /etc/resolv.conf, the empty file over each socket. */
export function bindFstab(
  resolvConf: string,
  emptyFile: string,
  sockets: readonly string[],
): string {
  return [
    [resolvConf, '/etc/resolv.conf'],
    ...sockets.map((socket) => [emptyFile, socket] as const),
  ]
    .map(([source, target]) => `${fstabField(source)} ${fstabField(target)} none bind 0 0\n`)
    .join('');
}

/**
 * What pid 1 of the namespaces runs before it becomes the init: loopback up, with a shell (a few
 * milliseconds) rather than from the init once Node has started (a Node child process costs tens).
 * A failure does not stop here: the init gets ip's words in SATHOS_LOOPBACK_FAILED and reports them
 * over the control channel like any other failure to set up.
 */
export const LOOPBACK_UP_SCRIPT =
  'why=$(ip link set lo up 2>&1) || export SATHOS_LOOPBACK_FAILED="${why:-ip exit $?}"; exec "$@"';

/** One line from the init to the supervisor. */
export type NamespaceMessage =
  | { readonly ready: { readonly proxyPort: number; readonly notes: readonly string[] } }
  | { readonly exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null } }
  | { readonly failed: string };

export const NAMESPACE_INIT_SCRIPT = String.raw`'use strict';
const SETUP = ${JSON.stringify(NAMESPACE_SETUP_SCRIPT)};
const net = require('node:net');
const dgram = require('node:dgram');
const { spawn, spawnSync } = require('node:child_process');
const { accessSync, statSync, constants: fsConstants } = require('node:fs');
// The control channel: fd 3, or stdin (fd 0) when sudo sits between (sudo closes every fd past 2).
const CONTROL_FD = process.argv[1] === '0' ? 0 : 3;
const control = new net.Socket({ fd: CONTROL_FD, readable: true, writable: true });
let finished = false;
const send = (message) => { if (!control.destroyed) control.write(JSON.stringify(message) + '\n'); };
const killAll = (signal) => { try { process.kill(-1, signal); } catch {} };
function finish(message, code) {
  if (finished) return;
  finished = true;
  killAll('SIGKILL');
  if (control.destroyed) process.exit(code);
  control.end(JSON.stringify(message) + '\n', () => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}
const fail = (reason) => finish({ failed: reason }, 125);
process.on('uncaughtException', (error) => fail('namespace init: ' + error.message));
control.on('error', () => fail('the control channel to the supervisor failed'));
control.on('close', () => fail('the supervisor went away'));
// Where the relays send what they accept: the gateway's sockets, known once the step is.
const targets = { proxy: undefined, dns: undefined };
// The step runs under setpriv: found now, as 'command -v' would, without a shell.
const SETPRIV = (process.env.PATH || '').split(':').map((dir) => (dir || '.') + '/setpriv').find((path) => {
  try { accessSync(path, fsConstants.X_OK); return statSync(path).isFile(); } catch { return false; }
});
let pending = '';
control.on('data', (chunk) => {
  pending += chunk.toString('utf8');
  for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
    const message = JSON.parse(pending.slice(0, end));
    pending = pending.slice(end + 1);
    if (message.start) start(message.start).catch((error) => fail(error.message));
    else if (message.signal === 'SIGTERM' || message.signal === 'SIGKILL') killAll(message.signal);
  }
});
function listen(server, options) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      server.on('error', (error) => fail('a relay inside the namespace failed: ' + error.message));
      resolve(server.address().port);
    });
  });
}
// The gateway's bytes to the step without stream machinery, as tunnel-copy.ts does in the gateway:
// read into a reused buffer, and into it again only once the kernel took the previous write (a
// write left queued stops reading until it completes). A relay whose read fills its 128 KiB buffer
// moves to a 1 MiB one, at most 8 at once. Buffers of closed relays are reused.
const spareBuffers = [];
const spareBulk = [];
let bulkInUse = 0;
function connectCopyingTo(path, client) {
  const small = spareBuffers.pop() || Buffer.allocUnsafe(128 * 1024);
  let bulk;
  let wantsBulk = false;
  let writes = 0;
  let waitingFor = 0;
  let closed = false;
  const release = () => {
    if (!closed || waitingFor !== 0) return;
    if (spareBuffers.length < 16) spareBuffers.push(small);
    if (bulk !== undefined) { bulkInUse--; if (spareBulk.length < 2) spareBulk.push(bulk); bulk = undefined; }
  };
  const nextBuffer = () => {
    if (wantsBulk && bulk === undefined && !closed && bulkInUse < 8) {
      bulkInUse++;
      bulk = spareBulk.pop() || Buffer.allocUnsafe(1024 * 1024);
    }
    wantsBulk = false;
    return bulk || small;
  };
  const upstream = net.connect({ path, allowHalfOpen: true, onread: { buffer: nextBuffer, callback: (bytes, buffer) => {
    const id = ++writes;
    if (bytes === buffer.length) wantsBulk = true;
    client.write(Buffer.from(buffer.buffer, buffer.byteOffset, bytes), (error) => {
      if (waitingFor !== id) return;
      waitingFor = 0;
      if (closed) release();
      else if (!error) upstream.resume();
    });
    if (client.writableLength === 0) return true;
    waitingFor = id;
    return false;
  } } });
  upstream.once('end', () => client.end());
  upstream.once('close', () => { closed = true; release(); });
  return upstream;
}
function relayTo(target) {
  return net.createServer({ allowHalfOpen: true }, (client) => {
    const path = targets[target];
    if (path === undefined) return void client.destroy();
    const upstream = connectCopyingTo(path, client);
    client.setNoDelay(true);
    const closeBoth = () => { client.destroy(); upstream.destroy(); };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
  });
}
function udpRelay() {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (message, remote) => {
    if (message.length > 4096 || targets.dns === undefined) return;
    const stream = net.connect({ path: targets.dns });
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(message.length);
    let answer = Buffer.alloc(0);
    stream.on('error', () => stream.destroy());
    stream.setTimeout(10000, () => stream.destroy());
    stream.on('data', (chunk) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer.length >= 2 && answer.length >= 2 + answer.readUInt16BE(0)) {
        udp.send(answer.subarray(2, 2 + answer.readUInt16BE(0)), remote.port, remote.address);
        stream.destroy();
      }
    });
    stream.write(Buffer.concat([prefix, message]));
  });
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: '127.0.0.1', port: 53 }, () => {
      udp.off('error', reject);
      udp.on('error', (error) => fail('the DNS relay inside the namespace failed: ' + error.message));
      resolve(udp);
    });
  });
}
// DNS on 127.0.0.1:53, UDP and TCP; resolves with a function that closes both again.
async function dnsRelays() {
  const udp = await udpRelay();
  const tcp = relayTo('dns');
  try {
    await listen(tcp, { host: '127.0.0.1', port: 53 });
  } catch (error) {
    udp.close();
    throw error;
  }
  return () => { udp.close(); tcp.close(); };
}
// Loopback came up before Node started (LOOPBACK_UP_SCRIPT), or it failed and says why here.
const LOOPBACK_FAILED = process.env.SATHOS_LOOPBACK_FAILED;
delete process.env.SATHOS_LOOPBACK_FAILED;
// What needs nothing from the supervisor starts now, while it gets the gateway ready: the relays
// listening, all at once (they accept nothing until the step, the only client, runs).
const network = (LOOPBACK_FAILED === undefined
  ? Promise.resolve()
  : Promise.reject(new Error('ip link set lo up: ' + LOOPBACK_FAILED.trim().slice(0, 500)))
).then(async () => {
  const [proxyPort, closeDns] = await Promise.all([
    listen(relayTo('proxy'), { host: '127.0.0.1', port: 0 }),
    dnsRelays().catch((error) => error),
  ]);
  return { proxyPort, closeDns };
});
network.catch(() => undefined);
// Every bind mount at once with mount itself; only when that fails (a socket gone since the scan)
// the setup script, one mount at a time.
function coverSockets(config) {
  const options = { stdio: ['ignore', 'pipe', 'pipe'] };
  if (config.fstab && spawnSync('mount', ['--all', '--fstab', config.fstab], options).status === 0) {
    return { status: 0, stdout: 'covered at once' };
  }
  return spawnSync('sh', ['-c', SETUP, 'sathos-setup', ...config.hideSockets], {
    ...options,
    env: { PATH: process.env.PATH, SATHOS_FSTAB: '', SATHOS_RESOLV: config.resolvConf, SATHOS_EMPTY: config.emptyFile },
  });
}
async function start(config) {
  const notes = [];
  let up;
  try {
    up = await network;
  } catch (error) {
    throw new Error('setting up the namespace failed (loopback, or a relay): ' + error.message);
  }
  if (SETPRIV === undefined) throw new Error('setting up the namespace failed: setpriv not found');
  const setup = coverSockets(config);
  if (setup.status !== 0) {
    const why = setup.error ? setup.error.message : String(setup.stderr).trim() || 'exit ' + setup.status;
    throw new Error('setting up the namespace failed (covering a unix socket): ' + why);
  }
  targets.proxy = config.proxySocket;
  const proxyPort = up.proxyPort;
  if (up.closeDns instanceof Error) {
    notes.push('DNS inside the namespace is not relayed (' + up.closeDns.message + '): names resolve only through the proxy');
  } else if (String(setup.stdout).includes('resolv.conf not covered')) {
    up.closeDns();
    notes.push('DNS inside the namespace is not relayed (resolv.conf could not be bind-mounted): names resolve only through the proxy');
  } else {
    targets.dns = config.dnsSocket;
  }
  const proxy = 'http://127.0.0.1:' + proxyPort;
  const env = { ...config.env, HTTP_PROXY: proxy, HTTPS_PROXY: proxy, ALL_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, all_proxy: proxy };
  delete env.NO_PROXY;
  delete env.no_proxy;
  // The step keeps no capability (empty bounding set, no new privileges): as root of these
  // namespaces it could otherwise unmount the covers over the host's sockets, or /proc.
  const setpriv = SETPRIV;
  const dropAll = ['--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--'];
  // Through sudo the init is real root: the step goes back to the supervisor's own user (no new
  // privileges also keeps it from using that user's sudo).
  const runAs = config.runAs;
  const identity = runAs ? ['--reuid=' + runAs.uid, '--regid=' + runAs.gid, runAs.groups.length > 0 ? '--groups=' + runAs.groups.join(',') : '--clear-groups'] : [];
  // The step never gets the control channel: on stdin it could read and forge the init's messages.
  const stdio = CONTROL_FD === 0 ? ['ignore', 'inherit', 'inherit'] : 'inherit';
  const child = spawn(setpriv, [...identity, ...dropAll, config.command, ...config.args], { cwd: config.cwd, env, stdio });
  child.on('error', (error) => {
    process.stderr.write('sathos guard: ' + config.command + ': ' + error.message + '\n');
    finish({ exit: { code: 127, signal: null } }, 0);
  });
  child.on('exit', (code, signal) => finish({ exit: { code, signal } }, 0));
  send({ ready: { proxyPort, notes } });
}
`;
