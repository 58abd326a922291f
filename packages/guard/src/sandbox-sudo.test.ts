// The network namespace through sudo, for real: a supervisor running as an ordinary user with
// passwordless sudo (made for the test), its unprivileged user-namespace probe refused (injected;
// sudo, unshare and the init are real). The step runs as that user, not root, with its own
// environment; it reaches the allowed server through the gateway and nothing directly; it cannot use
// the user's sudo; a deadline ends it although its init is root's.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processesOfUid } from './iptables-step.js';
import { countingServer, type CountingServer } from './test-servers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const USER = 'sathos-sudo-test';
const SUDOERS = `/etc/sudoers.d/${USER}`;

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test makes a user and a sudoers entry: run it as root';
  for (const tool of ['sudo', 'useradd', 'userdel', 'setpriv', 'unshare']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

interface FixtureResult {
  readonly report?: {
    sandbox: string;
    sandboxNote: string;
    exitCode: number | null;
    halted?: { cause: string };
  };
  readonly stdout?: string;
  readonly error?: string;
}

/** Runs the fixture supervisor as the test user; resolves with its JSON line. */
function fixture(args: string[], env: Record<string, string> = {}): Promise<FixtureResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      [
        `--reuid=${USER}`,
        `--regid=${USER}`,
        '--init-groups',
        '--',
        process.execPath,
        '--import',
        'tsx',
        join(HERE, 'sandbox-fixture.ts'),
        ...args,
      ],
      {
        cwd: HERE,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...env },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as FixtureResult);
      } catch {
        reject(new Error(`the fixture printed no report: ${out}`));
      }
    });
  });
}

const skip = whyNot();

describe('the network namespace through sudo', { skip }, () => {
  let first: CountingServer;
  let second: CountingServer;
  let uid = -1;

  before(async () => {
    if (!existsSync(SUDOERS)) {
      try {
        execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/sh', USER]);
      } catch {
        // Left from an earlier run: used as it is.
      }
    }
    await writeFile(SUDOERS, `${USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    first = await countingServer('answer from the first server');
    second = await countingServer('answer from the second server');
  });
  after(async () => {
    await first.close();
    await second.close();
    await rm(SUDOERS, { force: true });
    execFileSync('userdel', [USER], { stdio: 'ignore' });
  });

  it('runs the step as the user, not root, reaching only the allowed server', async () => {
    const before = first.connections();
    const result = await fixture(['auto', String(first.port), String(second.port)]);
    const { report, stdout = '' } = result;
    assert.equal(result.error, undefined);
    assert.equal(report?.sandbox, 'netns');
    assert.match(report.sandboxNote, /^network namespace \(via sudo\): /);
    assert.match(stdout, new RegExp(`^uid: ${uid} gid: `, 'm'), 'the step runs as the user');
    assert.match(stdout, /^first: 200 answer from the first server$/m);
    assert.match(stdout, /^second: 403 sathos guard: blocked second\.test/m);
    assert.match(stdout, /^direct first: error ECONNREFUSED$/m);
    assert.match(stdout, /^direct second: error ECONNREFUSED$/m);
    assert.match(stdout, /^dns first\.test: 127\.0\.0\.1$/m);
    assert.match(stdout, /^dns second\.test: ENOTFOUND$/m);
    // The user may sudo; the step, with no new privileges, may not.
    assert.match(stdout, /^sudo: exit 1$/m);
    // Its environment came over the control channel, not through sudo's env_reset.
    assert.match(stdout, /^mark: passed to the step$/m);
    assert.equal(first.connections() - before, 1, 'the first server saw only the gateway');
    assert.equal(second.connections(), 0, 'the second server never saw a connection');
    assert.equal(report.exitCode, 0);
  });

  it("ends a step past its deadline although its init is root's", async () => {
    const result = await fixture(['auto', String(first.port), String(second.port), '1500'], {
      SATHOS_FIXTURE_WAIT: '1',
    });
    assert.equal(result.report?.sandbox, 'netns');
    assert.equal(result.report.halted?.cause, 'deadline');
    assert.deepEqual(await processesOfUid(uid), [], 'nothing of the step outlived it');
  });
});
