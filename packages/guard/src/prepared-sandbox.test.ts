// A sandbox prepared before the step: its init is up before supervise() is called and the step runs
// in it; it serves one step only; a preparation nobody used, or one a step refused, leaves no init
// behind.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { before, describe, it } from 'node:test';
import { SathosError } from '@sathos/core';
import { prepareSandbox } from './prepared-sandbox.js';
import { chooseSandbox } from './sandbox.js';
import { supervise } from './supervise.js';
import { allowOnly } from './test-servers.js';

/** This process's children running `unshare` (each a namespace's way in). */
async function unshareChildren(): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (Number(fields[1]) === process.pid && comm === 'unshare') found.push(Number(name));
    } catch {
      // gone since readdir
    }
  }
  return found;
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

const quiet = (): { stdout: PassThrough; stderr: PassThrough } => ({
  stdout: new PassThrough(),
  stderr: new PassThrough(),
});

describe('prepareSandbox', { timeout: 60_000 }, () => {
  let namespaceAvailable = false;
  before(async () => {
    namespaceAvailable = (await chooseSandbox('netns').catch(() => undefined))?.kind === 'netns';
  });

  it('boots the namespace init before supervise is called, and the step runs in it', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const output = quiet();
    const prepared = prepareSandbox('netns', output);
    assert.ok(await until(async () => (await unshareChildren()).length === 1), 'no init booting');
    const [booted] = await unshareChildren();
    const out: Buffer[] = [];
    output.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    let started: number | undefined;
    const report = await supervise({
      command: 'sh',
      args: ['-c', 'echo "in the namespace"'],
      decide: allowOnly(),
      prepared,
      onEvent: (event) => {
        if (event.kind === 'started') started = event.pid;
      },
    });
    assert.equal(report.sandbox, 'netns');
    assert.equal(report.exitCode, 0);
    assert.equal(report.halted, undefined);
    assert.equal(Buffer.concat(out).toString(), 'in the namespace\n');
    // The step ran under the unshare that was booting before supervise was called.
    assert.ok(booted !== undefined);
    assert.equal(started, booted);
    assert.deepEqual(await unshareChildren(), [], 'the init outlived its step');
  });

  it('serves one step: a second supervise with it is refused, naming why', async () => {
    const prepared = prepareSandbox('proxy-env', 'inherit');
    const first = await supervise({ command: 'true', decide: allowOnly(), prepared });
    assert.equal(first.exitCode, 0);
    await assert.rejects(
      supervise({ command: 'true', decide: allowOnly(), prepared }),
      (error: unknown) =>
        error instanceof SathosError && /taken by another step/.test(error.message),
    );
  });

  it("sends the step's output where the preparation says on every rung, not only a namespace", async () => {
    // sathos guard --json prepares { stdout: stderr } and passes no output of its own: a step on a
    // lower rung (proxy-env, iptables, or auto where no namespace can be made) wrote into the JSON.
    const output = quiet();
    const out: Buffer[] = [];
    output.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    const prepared = prepareSandbox('proxy-env', output);
    const report = await supervise({
      command: 'sh',
      args: ['-c', 'echo "to the prepared output"'],
      decide: allowOnly(),
      prepared,
    });
    assert.equal(report.sandbox, 'proxy-env');
    assert.equal(report.exitCode, 0);
    assert.equal(Buffer.concat(out).toString(), 'to the prepared output\n');
  });

  it('refuses probers beside a prepared sandbox (chosen already: they would be ignored)', async () => {
    const prepared = prepareSandbox('proxy-env', 'inherit');
    await assert.rejects(
      supervise({
        command: 'true',
        decide: allowOnly(),
        prepared,
        probers: { namespace: () => Promise.resolve('refused') },
      }),
      /probers choose a sandbox, and the prepared one is chosen/,
    );
    await assert.rejects(
      supervise({ command: 'true', decide: allowOnly(), prepared }),
      /was disposed/,
    );
  });

  it('ends the init of a preparation nobody used', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const prepared = prepareSandbox('netns', quiet());
    assert.ok(await until(async () => (await unshareChildren()).length === 1), 'no init booting');
    await prepared.dispose();
    assert.deepEqual(await unshareChildren(), []);
    await assert.rejects(
      supervise({ command: 'true', decide: allowOnly(), prepared }),
      /was disposed; prepare one for each step/,
    );
  });

  it('refuses a step asking for another sandbox or output, and ends the prepared init', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    const output = quiet();
    const prepared = prepareSandbox('netns', output);
    await assert.rejects(
      supervise({ command: 'true', decide: allowOnly(), prepared, sandbox: 'proxy-env' }),
      /the prepared sandbox is "netns", not the "proxy-env" asked for/,
    );
    assert.ok(await until(async () => (await unshareChildren()).length === 0), 'init left running');
    const other = prepareSandbox('netns', output);
    await assert.rejects(
      supervise({ command: 'true', decide: allowOnly(), prepared: other, output: quiet() }),
      /made for another output/,
    );
    assert.ok(await until(async () => (await unshareChildren()).length === 0), 'init left running');
  });
});
