// The real `sathos` process writing into a real pipe whose reader has gone (`sathos … | head -1`):
// a closed output pipe is not a rejection, so the verdict's exit code stands and nothing crashes;
// an output that cannot be written for any other reason (a full disk) fails closed with exit 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TestRepo, allowedSignersLine } from './repo-builder.js';

const BIN = fileURLToPath(new URL('../../packages/cli/src/bin.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** Not a timing assertion: a run still going after this is killed and fails the case as a hang. */
const KILL_AFTER_MS = 120_000;

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs sathos with its stdout (and stderr, if asked) on a pipe whose read end this process closes
 * at once — before sathos has started, so every write it makes meets a reader that is gone.
 */
function sathosIntoClosedPipe(args: readonly string[], closeStderr: boolean): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: KILL_AFTER_MS,
      killSignal: 'SIGKILL',
    });
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (status, signal) => {
      done({ status, signal, stdout: '', stderr });
    });
  });
}

/** Runs `sathos … | <reader>` in bash with pipefail: the pipeline's status is sathos's. */
function sathosPipedTo(args: readonly string[], reader: string): Promise<Run> {
  const quoted = [process.execPath, '--import', TSX, BIN, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return run('bash', ['-c', `set -o pipefail; ${quoted} | ${reader}`]);
}

function run(command: string, args: readonly string[], stdout?: number): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(command, args, {
      stdio: ['ignore', stdout ?? 'pipe', 'pipe'],
      timeout: KILL_AFTER_MS,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('close', (status, signal) => {
      done({ status, signal, stdout: out, stderr: err });
    });
  });
}

describe('sathos writing into a pipe whose reader has gone', () => {
  let repo: TestRepo;
  let signers: string;
  let base: string;
  let head: string;
  let unsigned: string;

  before(() => {
    repo = TestRepo.create();
    const alice = repo.sshKey('alice', 'ed25519');
    signers = join(repo.home, 'allowed_signers');
    writeFileSync(signers, allowedSignersLine('alice@example.com', alice));
    base = repo.commit({ signing: { ssh: alice.privatePath } });
    for (let i = 0; i < 40; i += 1) head = repo.commit({ signing: { ssh: alice.privatePath } });
    unsigned = repo.commit({ signing: { none: true } });
  });

  after(() => {
    repo.dispose();
  });

  const verify = (range: string, ...more: string[]): string[] => [
    ...['verify-commits', range, '--repo', repo.dir, '--allowed-signers', signers],
    ...more,
  ];

  it('exits 0 when every commit verified though stdout was closed (lines and --json)', async () => {
    for (const extra of [[], ['--json']]) {
      const result = await sathosIntoClosedPipe(verify(`${base}..${head}`, ...extra), false);
      assert.equal(result.signal, null);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr, '', 'no EPIPE trace or error line');
    }
  });

  it('still exits 1 for a rejected commit when stdout and stderr were closed', async () => {
    for (const extra of [[], ['--json']]) {
      const result = await sathosIntoClosedPipe(verify(unsigned, ...extra), true);
      assert.equal(result.signal, null);
      assert.equal(result.status, 1);
    }
  });

  it('keeps a usage error at exit 2 and --help at 0 with the pipe closed (every command)', async () => {
    const bad = await sathosIntoClosedPipe(['verify-commits', 'a..b', '--bogus'], true);
    assert.equal(bad.status, 2);
    for (const command of ['verify-bundle', 'verify-chain', 'verify-commits', 'policy', 'demo']) {
      const help = await sathosIntoClosedPipe([command, '--help'], false);
      assert.equal(help.status, 0, `${command}: ${help.stderr}`);
      assert.equal(help.stderr, '', command);
    }
  });

  it('`sathos verify-commits … | head -1` prints the summary and exits 0', async () => {
    const result = await sathosPipedTo(verify(`${base}..${head}`), 'head -1');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^all 40 commit\(s\) verified/);
    assert.equal(result.stdout.split('\n').filter((l) => l !== '').length, 1);
    const gone = await sathosPipedTo(verify(`${base}..${head}`), 'true');
    assert.equal(gone.status, 0, gone.stderr);
    assert.equal(gone.stderr, '');
  });

  it('fails closed when stdout cannot be written for another reason (a full disk)', async () => {
    const full = openSync('/dev/full', 'w');
    const result = await run(
      process.execPath,
      ['--import', TSX, BIN, ...verify(`${base}..${head}`)],
      full,
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /could not write to stdout \(ENOSPC\)/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});
