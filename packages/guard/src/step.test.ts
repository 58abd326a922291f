// The weakest containment on its own: a step held only by its process group and /proc walks still
// loses, on a halt, a daemon that left its session and whose parent has already exited — as long as
// the daemon was seen in the tree once.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startPlainStep } from './step.js';

async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(Number(name));
  }
  return found;
}

/** Polls /proc until `expected` processes carry the marker, or 10 s pass; returns the last count. */
async function settledCount(marker: string, expected: number): Promise<number> {
  let count = (await processesWith(marker)).length;
  for (let tries = 0; count !== expected && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = (await processesWith(marker)).length;
  }
  return count;
}

/** The root starts a child that starts a daemon (new session, ignores SIGTERM), waits, and exits. */
function orphaningTree(marker: string): string {
  const daemon = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`;
  const child = String.raw`
const { spawn } = require('node:child_process');
const d = spawn(process.execPath, ['-e', ${JSON.stringify(daemon)}, '${marker}'], { detached: true, stdio: 'ignore' });
d.unref();
setTimeout(() => { console.log('child leaving, daemon ' + d.pid + ' orphaned'); process.exit(0); }, 4000);
`;
  return `process.on('SIGTERM', () => {}); require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}, '${marker}'], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
}

describe('startPlainStep, process-group containment', () => {
  it('kills a re-parented daemon it saw earlier, and the rest of the tree', async () => {
    const marker = `sathos-orphan-${process.pid}-${Date.now()}`;
    const stdout = new PassThrough();
    let text = '';
    const orphaned = new Promise<void>((resolve) => {
      stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('orphaned')) resolve();
      });
    });
    const step = await startPlainStep({
      command: process.execPath,
      args: ['-e', orphaningTree(marker), marker],
      env: { PATH: process.env.PATH ?? '' },
      cwd: process.cwd(),
      output: { stdout, stderr: new PassThrough() },
      cgroupParent: undefined,
    });
    try {
      assert.equal(step.containment, 'process-group');
      await orphaned;
      // The daemon's parent is gone: only the tracker's memory still links it to the step. The
      // child printed before exiting, so wait (boundedly) until /proc no longer lists it.
      assert.equal(await settledCount(marker, 2), 2, 'the root and the orphaned daemon');
      await step.signal('SIGTERM');
      await step.signal('SIGKILL');
      await step.exited;
      await step.reap();
      assert.deepEqual(await processesWith(marker), []);
    } finally {
      // Whatever failed above, leave nothing running: a stray daemon would hold the test runner.
      for (const pid of await processesWith(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
