// The supervisor end to end on each containment it can fall back to without a pid namespace,
// forced by injecting what the cgroup probe found: no cgroup (process group + environment marker),
// a cgroup v1 freezer, a cgroup v2. On each, a step that double-forks daemons out of its session
// is gone after a halt verdict and after it exits on its own, and the exit status is the step's.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { EgressDecider } from '@sathos/core';
import type { CgroupParent } from './cgroup-common.js';
import { findCgroupParent } from './cgroup.js';
import { createStepCgroupV1, ownFreezerDir } from './cgroup-v1.js';
import { CONTAINMENT_DESCRIPTIONS, type ContainmentKind } from './process-tree.js';
import { exitStatusOf, supervise } from './supervise.js';
import { loopbackResolver } from './test-servers.js';

async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(Number(name));
  }
  return found;
}

const markers: string[] = [];
let serial = 0;
function freshMarker(): string {
  const marker = `${400 + (process.pid % 500)}.${Date.now() % 100000}${++serial}`;
  markers.push(marker);
  return marker;
}

/** Two daemons out of the session at once (one closing its fds, one in a new group), then `then`. */
function script(marker: string, then: string): string {
  return [
    `setsid sh -c 'exec 0<&- 1>&- 2>&-; sleep ${marker} & exit 0' &`,
    `perl -e 'exit if fork; setpgrp(0, 0); exec "sleep", "${marker}"' </dev/null >/dev/null 2>&1`,
    'wait',
    then,
  ].join('\n');
}

const haltAll: EgressDecider = (request) => ({
  action: 'halt',
  rule: 'test',
  reason: `${request.host} is a known exfiltration host`,
});
const allowAll: EgressDecider = () => ({ action: 'allow', rule: 'test', reason: 'allowed' });

const freezer = await ownFreezerDir();
const trial = freezer === undefined ? undefined : await createStepCgroupV1(freezer);
await trial?.remove();
const found = await findCgroupParent();
const levels: [ContainmentKind, CgroupParent | undefined, boolean][] = [
  ['process-group', undefined, true],
  [
    'cgroup-v1',
    freezer === undefined ? undefined : { version: 1, dir: freezer },
    trial !== undefined,
  ],
  ['cgroup', found?.version === 2 ? found : undefined, found?.version === 2],
];

after(async () => {
  for (const marker of markers)
    for (const pid of await processesWith(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
});

for (const [kind, parent, available] of levels) {
  describe(`supervise, proxy-env held by ${kind}`, { skip: !available, timeout: 120_000 }, () => {
    const run = (marker: string, then: string, decide: EgressDecider) =>
      supervise({
        command: 'sh',
        args: ['-c', script(marker, then)],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        decide,
        resolve: loopbackResolver,
        graceMs: 300,
        sandbox: 'proxy-env',
        probers: { cgroup: () => Promise.resolve(parent) },
        output: { stdout: new PassThrough().resume(), stderr: new PassThrough().resume() },
      });

    it('a halt verdict ends the step and both daemons; the report names the containment', async () => {
      const marker = freshMarker();
      const report = await run(
        marker,
        'curl -sS --max-time 120 -o /dev/null http://denied.test:1/; sleep 300',
        haltAll,
      );
      assert.equal(report.halted?.cause, 'egress', report.halted?.reason);
      assert.equal(exitStatusOf(report), 1);
      assert.equal(report.containment, kind);
      assert.ok(report.sandboxNote.endsWith(CONTAINMENT_DESCRIPTIONS[kind]), report.sandboxNote);
      assert.deepEqual(await processesWith(marker), []);
    });

    it('a step that exits 7 on its own ends with 7, and leaves nothing running', async () => {
      const marker = freshMarker();
      const report = await run(marker, 'exit 7', allowAll);
      assert.equal(report.halted, undefined);
      assert.equal(exitStatusOf(report), 7);
      assert.deepEqual(await processesWith(marker), []);
    });
  });
}
