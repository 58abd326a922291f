// The iptables level for real (root, iptables and ip6tables): the step, a uid of its own, reaches
// the allowed server only through the gateway; connecting directly to either server is rejected and
// counted; DNS goes to the gateway. Its rules go on every exit path: after the step, on SIGTERM to
// the supervisor, and — after a SIGKILL, which leaves them (the uid still confined) — at the next
// start, which first kills whatever still holds the uid. Rules that cannot be installed: no step.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chainOwner, jumpUid, ourChains } from './iptables-rules.js';
import { removeStaleChains } from './iptables-sandbox.js';
import { processesOfUid } from './iptables-step.js';
import { FIXTURE_STEP } from './sandbox-fixture.js';
import { chooseSandbox } from './sandbox.js';
import { supervise } from './supervise.js';
import {
  allowOnly,
  countingServer,
  loopbackResolver,
  type CountingServer,
} from './test-servers.js';

const HERE = dirname(fileURLToPath(import.meta.url));

function listing(family: 'iptables' | 'ip6tables', table: 'filter' | 'nat'): string {
  return execFileSync(family, ['-w', '5', '-t', table, '-S'], { encoding: 'utf8' });
}

/** Our chains in every place they go, with the pid their name says owns them. */
function chainsOf(pid: number): string[] {
  const names = [
    ...ourChains(listing('iptables', 'filter')),
    ...ourChains(listing('ip6tables', 'filter')),
    ...ourChains(listing('iptables', 'nat')),
  ];
  return names.filter((name) => chainOwner(name)?.pid === pid);
}

/** The fixture supervisor in a process of its own, its step waiting; resolves once it waits. */
function waitingSupervisor(first: number, second: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(HERE, 'sandbox-fixture.ts'),
      'iptables',
      String(first),
      String(second),
    ],
    {
      cwd: HERE,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SATHOS_FIXTURE_WAIT: '1' },
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (err.includes('step waiting')) resolve(child);
    });
    child.on('close', () => {
      reject(new Error(`the fixture ended before its step waited: ${err}`));
    });
  });
}

function ended(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('close', () => {
        resolve();
      });
  });
}

const available = await chooseSandbox('iptables').then(
  () => undefined,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);

describe('the iptables level', { skip: available }, () => {
  let first: CountingServer;
  let second: CountingServer;

  before(async () => {
    first = await countingServer('answer from the first server');
    second = await countingServer('answer from the second server');
  });
  after(async () => {
    await first.close();
    await second.close();
  });

  it('lets the step reach only the allowed server, through the gateway; direct attempts are counted', async () => {
    let out = '';
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const firstBefore = first.connections();
    const report = await supervise({
      command: process.execPath,
      args: ['-e', FIXTURE_STEP, String(first.port), String(second.port), String(process.pid)],
      decide: allowOnly('first.test'),
      resolve: loopbackResolver,
      sandbox: 'iptables',
      output: { stdout: stream, stderr: stream },
    });
    assert.equal(report.sandbox, 'iptables');
    const uid = Number(/^uid: ([0-9]+) /m.exec(out)?.[1]);
    assert.ok(uid >= 2_000_000_000, `the step ran as a uid of its own, not ${uid}`);
    assert.match(out, /^first: 200 answer from the first server$/m);
    assert.match(out, /^second: 403 sathos guard: blocked second\.test/m);
    // The client ignoring the proxy reaches neither server.
    assert.match(out, /^direct first: error ECONNREFUSED$/m);
    assert.match(out, /^direct second: error ECONNREFUSED$/m);
    assert.equal(first.connections() - firstBefore, 1, 'the first server saw only the gateway');
    assert.equal(second.connections(), 0, 'the second server never saw a connection');
    // The system resolver's queries went to the gateway, which answers only the allowed name.
    assert.match(out, /^dns first\.test: 127\.0\.0\.1$/m);
    assert.match(out, /^dns second\.test: ENOTFOUND$/m);
    assert.match(out, /^supervisor environ: error EACCES$/m);
    assert.match(out, /^sudo: exit 1$/m);
    assert.match(
      report.sandboxNote,
      /; 2 direct connection attempts refused \(the sandbox cannot name their host\)/,
    );
    assert.deepEqual(
      report.decisions.map((d) => [d.request.host, d.request.protocol, d.verdict.action]),
      [
        ['first.test', 'http', 'allow'],
        ['second.test', 'http', 'block'],
        ['first.test', 'dns', 'allow'],
        ['second.test', 'dns', 'block'],
      ],
    );
    assert.deepEqual(chainsOf(process.pid), [], 'the rules are gone after the step');
    assert.deepEqual(await processesOfUid(uid), []);
  });

  it('removes the rules, after the step, when the supervisor gets SIGTERM', async () => {
    const child = await waitingSupervisor(first.port, second.port);
    const pid = child.pid ?? -1;
    const [chain] = chainsOf(pid);
    assert.ok(chain !== undefined, 'the running step has its chain');
    const uid = jumpUid(listing('iptables', 'filter'), chain);
    assert.ok(uid !== undefined && (await processesOfUid(uid)).length > 0);
    child.kill('SIGTERM');
    await ended(child);
    assert.equal(child.signalCode, 'SIGTERM', 'the supervisor still ends by the signal');
    assert.deepEqual(chainsOf(pid), []);
    assert.deepEqual(await processesOfUid(uid), [], 'the step went before its rules');
  });

  it('after a SIGKILL the rules stay; the next start kills what holds their uid, then removes them', async () => {
    const child = await waitingSupervisor(first.port, second.port);
    const pid = child.pid ?? -1;
    const [chain] = chainsOf(pid);
    assert.ok(chain !== undefined);
    const uid = jumpUid(listing('iptables', 'filter'), chain);
    assert.ok(uid !== undefined);
    child.kill('SIGKILL');
    await ended(child);
    assert.equal(chainsOf(pid).length, 3, 'nothing removed the rules: the uid is still confined');
    // A process of that uid that outlived the supervisor and its watchdog (made here: one that
    // escaped every tree, marker and cgroup): it must be gone before its rules are.
    const orphan = spawn(
      'setpriv',
      [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'sleep', '60'],
      { stdio: 'ignore', detached: true },
    );
    const orphanEnded = ended(orphan);
    for (let tries = 0; tries < 100 && (await processesOfUid(uid)).length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok((await processesOfUid(uid)).length > 0, 'the orphan runs as the step uid');
    const removed = await removeStaleChains();
    assert.ok(removed.includes(chain));
    assert.deepEqual(chainsOf(pid), []);
    await orphanEnded;
    assert.equal(orphan.signalCode, 'SIGKILL', 'the orphan was killed before the rules went');
    assert.deepEqual(await processesOfUid(uid), []);
  });

  it('fails closed: rules that cannot be installed mean no step, and no rule left', async () => {
    // An ip6tables that refuses to make chains (and lists as the real one): the IPv6 part fails.
    const dir = await mkdtemp(join(tmpdir(), 'sathos-ip6-'));
    const real = execFileSync('sh', ['-c', 'command -v ip6tables'], { encoding: 'utf8' }).trim();
    await writeFile(
      join(dir, 'ip6tables'),
      `#!/bin/sh\nfor a; do [ "$a" = -N ] && { echo "refused by the test" >&2; exit 4; }; done\nexec ${real} "$@"\n`,
    );
    await chmod(join(dir, 'ip6tables'), 0o755);
    const marker = join(dir, 'ran');
    try {
      const result = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', failingRun(marker)], {
          cwd: HERE,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
        });
        child.on('close', () => {
          resolve(`${out}pid ${child.pid}`);
        });
      });
      assert.match(
        result,
        /^SANDBOX_FAILED iptables sandbox: a rule could not be installed \(ip6tables .*refused by the test\): the step did not run/m,
      );
      const pid = Number(/pid ([0-9]+)$/.exec(result)?.[1]);
      assert.deepEqual(chainsOf(pid), [], 'the IPv4 part made before the failure was removed');
      await assert.rejects(access(marker), 'the step never ran');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A supervisor whose step would leave `marker`: prints the error's code and message. */
function failingRun(marker: string): string {
  return `
import { supervise } from './supervise.ts';
supervise({ command: 'touch', args: [${JSON.stringify(marker)}], decide: () => ({ action: 'allow', rule: 'r', reason: 'r' }), sandbox: 'iptables', output: 'inherit' })
  .then(() => console.log('ran'), (e) => console.log(e.code + ' ' + e.message));
`;
}
