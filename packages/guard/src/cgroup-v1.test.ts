// Containment without a pid namespace, for real on this machine: a step whose command double-forks
// daemons out of its session (one closing its descriptors, one changing its process group) leaves
// nothing running — held by a cgroup v1 freezer where one can be made, else by its process group
// and the environment marker — after a halt and after a normal exit, with the exit status intact.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { access, readdir, readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { CgroupParent } from './cgroup-common.js';
import { createStepCgroupV1, ownFreezerDir } from './cgroup-v1.js';
import { markedProcesses, newStepMark, STEP_MARK_VARIABLE } from './process-tree.js';
import { startPlainStep, type RunningStep } from './step.js';

async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(Number(name));
  }
  return found;
}

/** Polls /proc until `count` processes carry the marker (at most 20 s: a wait, not a timing). */
async function waitForCount(marker: string, count: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if ((await processesWith(marker)).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${count} processes carrying ${marker} never appeared`);
}

let serial = 0;
const markers: string[] = [];
/** A sleep duration no other process uses: its command line is the marker. */
function freshMarker(): string {
  const marker = `${300 + (process.pid % 500)}.${Date.now() % 100000}${++serial}`;
  markers.push(marker);
  return marker;
}

/**
 * Two daemons that leave at once (the intermediate shell exits, no /proc walk can have seen them in
 * the tree): one in a new session with its descriptors closed, one that only changes its process
 * group. Then the root prints its cgroup and either waits or exits `exitCode`.
 */
function daemonizingScript(marker: string, exitCode: number | 'wait'): string {
  return [
    `setsid sh -c 'exec 0<&- 1>&- 2>&-; sleep ${marker} & exit 0' &`,
    `perl -e 'exit if fork; setpgrp(0, 0); exec "sleep", "${marker}"' </dev/null >/dev/null 2>&1`,
    'wait',
    `cat /proc/self/cgroup | grep freezer || echo 'freezer: none'`,
    'echo ready',
    exitCode === 'wait' ? `trap '' TERM; while :; do sleep 1; done` : `exit ${exitCode}`,
  ].join('\n');
}

async function runStep(parent: CgroupParent | undefined, script: string) {
  const stdout = new PassThrough();
  let text = '';
  const ready = new Promise<void>((resolve) => {
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('ready')) resolve();
    });
  });
  const step = await startPlainStep({
    command: 'sh',
    args: ['-c', script],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: process.cwd(),
    output: { stdout, stderr: new PassThrough() },
    cgroupParent: parent,
  });
  return { step, ready, text: () => text };
}

async function halt(step: RunningStep): Promise<void> {
  await step.signal('SIGTERM');
  await step.signal('SIGKILL');
  await step.exited;
  await step.reap();
}

const freezer = await ownFreezerDir();
const trial = freezer === undefined ? undefined : await createStepCgroupV1(freezer);
await trial?.remove();
const v1: CgroupParent | undefined =
  freezer === undefined || trial === undefined ? undefined : { version: 1, dir: freezer };

after(async () => {
  // Whatever failed, leave nothing running: a stray daemon would hold the test runner.
  for (const marker of markers) {
    for (const pid of await processesWith(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

describe(
  'cgroup v1 (freezer) containment',
  { skip: v1 === undefined && 'no writable v1 freezer' },
  () => {
    it('the step is in its cgroup before its command runs, and a halt ends both daemons', async () => {
      const marker = freshMarker();
      const { step, ready, text } = await runStep(v1, daemonizingScript(marker, 'wait'));
      assert.equal(step.containment, 'cgroup-v1');
      await ready;
      await waitForCount(marker, 2);
      // The first thing the command did already ran inside the step's own freezer cgroup.
      assert.match(text(), /^\d+:freezer:.*\/sathos-step-\d+-\d+$/m);
      const path = /:freezer:(.*)$/m.exec(text())?.[1] ?? '';
      await halt(step);
      assert.deepEqual(await processesWith(marker), []);
      await assert.rejects(access(`${v1?.dir ?? ''}${path}`), 'the step cgroup is removed');
    });

    it('a step that exits 3 reports 3, and the daemons it left are gone after reaping', async () => {
      const marker = freshMarker();
      const { step, ready } = await runStep(v1, daemonizingScript(marker, 3));
      await ready;
      const exit = await step.exited;
      assert.deepEqual([exit.code, exit.signal, exit.failure], [3, null, undefined]);
      await waitForCount(marker, 2); // the daemons outlived the root
      await step.reap();
      assert.deepEqual(await processesWith(marker), []);
    });
  },
);

describe(
  'cgroup v1: a step that makes cgroups of its own',
  { timeout: 120_000, skip: v1 === undefined && 'no writable v1 freezer' },
  () => {
    it('a daemon moved into a sub-cgroup, environment cleared, is still ended; all is removed', async () => {
      const marker = freshMarker();
      // A sub-cgroup of its own cgroup (it owns the directory), and a double-forked daemon that moves
      // itself there (out of the step cgroup's own cgroup.procs) and clears its environment (out of
      // the marker's reach): only the cgroup subtree still holds it.
      const script = [
        `m=$(grep -m1 ' - cgroup .*freezer' /proc/self/mountinfo | cut -d' ' -f5)`,
        `cg="$m$(sed -n 's/^[0-9]*:freezer://p' /proc/self/cgroup)"`,
        'mkdir "$cg/sub"',
        `d='trap "" TERM; exec sleep ${marker}'`, // it ignores SIGTERM: only the kill ends it
        `( setsid sh -c 'echo $$ > "$1/sub/cgroup.procs" && exec env -i sh -c "$2"' sh "$cg" "$d" </dev/null >/dev/null 2>&1 & )`,
        'echo "cgroup: $cg"',
        'echo ready',
        `trap '' TERM; while :; do sleep 1; done`,
      ].join('\n');
      const { step, ready, text } = await runStep(v1, script);
      await ready;
      await waitForCount(marker, 1);
      const cg = /^cgroup: (.*)$/m.exec(text())?.[1] ?? '';
      assert.deepEqual(
        (await readFile(`${cg}/sub/cgroup.procs`, 'utf8')).trim().split('\n').length,
        1,
        'the daemon is in the sub-cgroup',
      );
      await halt(step);
      assert.deepEqual(await processesWith(marker), []);
      assert.equal(await step.leftover?.(), undefined, 'nothing survived');
      await assert.rejects(access(cg), 'the step cgroup and its sub-cgroup are removed');
    });
  },
);

describe('process group + environment marker (no cgroup at all)', { timeout: 120_000 }, () => {
  it('a halt ends daemons that left the session before any /proc walk saw them', async () => {
    const marker = freshMarker();
    const { step, ready, text } = await runStep(undefined, daemonizingScript(marker, 'wait'));
    assert.equal(step.containment, 'process-group');
    await ready;
    await waitForCount(marker, 2);
    assert.doesNotMatch(text(), /sathos-step/, 'no cgroup was made');
    await halt(step);
    assert.deepEqual(await processesWith(marker), []);
  });

  it('a step that exits 0 reports 0, and the daemons it left are gone after reaping', async () => {
    const marker = freshMarker();
    const { step, ready } = await runStep(undefined, daemonizingScript(marker, 0));
    await ready;
    const exit = await step.exited;
    assert.deepEqual([exit.code, exit.signal, exit.failure], [0, null, undefined]);
    await waitForCount(marker, 2);
    await step.reap();
    assert.deepEqual(await processesWith(marker), []);
  });

  it('the sweep finds exactly the processes carrying the marker: one that cleared it escapes', async () => {
    const mark = newStepMark();
    const start = (env: Record<string, string>) =>
      spawn('sleep', ['60'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    const children = [
      start({ [STEP_MARK_VARIABLE]: mark }),
      start({ X_SATHOS_STEP_MARK: mark }), // a longer name ending like it: not the marker
      start({ [STEP_MARK_VARIABLE]: `${mark}0` }), // a longer value: not the marker
      start({}), // the environment cleared (env -i): the documented escape
    ];
    try {
      const pids = children.map((child) => child.pid ?? -1);
      // Each child has exec'd sleep with its environment once its command line says so.
      for (const pid of pids) {
        for (let tries = 0; tries < 200; tries++) {
          const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
          if (cmdline.startsWith('sleep')) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      assert.deepEqual(await markedProcesses(mark), [pids[0]]);
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
  });
});

/** A supervisor in a process of its own: it starts the step, says so, and is then SIGKILLed. */
const SUPERVISOR = `
import { startPlainStep } from ${JSON.stringify(fileURLToPath(new URL('./step.ts', import.meta.url)))};
const [kind, dir, script] = process.argv.slice(1);
await startPlainStep({
  command: 'sh',
  args: ['-c', script],
  env: { PATH: process.env.PATH },
  cwd: '/',
  output: 'inherit',
  cgroupParent: kind === 'v1' ? { version: 1, dir } : undefined,
});
setInterval(() => {}, 1000);
`;

async function killedSupervisor(parent: CgroupParent | undefined, marker: string): Promise<void> {
  const supervisor = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      SUPERVISOR,
      parent === undefined ? 'none' : 'v1',
      parent?.dir ?? '',
      daemonizingScript(marker, 'wait'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let text = '';
  await new Promise<void>((resolve, reject) => {
    supervisor.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('ready')) resolve();
    });
    supervisor.once('exit', () => {
      reject(new Error(`the supervisor ended early: ${text}`));
    });
  });
  await waitForCount(marker, 2);
  supervisor.kill('SIGKILL');
  // The watchdog acts once the pipe closes: wait (boundedly) for the tree to be gone.
  for (let tries = 0; tries < 200 && (await processesWith(marker)).length > 0; tries++)
    await new Promise((resolve) => setTimeout(resolve, 100));
}

describe(
  'when the supervisor itself is killed, the tree is not left running',
  { timeout: 120_000 },
  () => {
    it(
      'cgroup v1: the watchdog ends the step and its daemons',
      { skip: v1 === undefined },
      async () => {
        const marker = freshMarker();
        await killedSupervisor(v1, marker);
        assert.deepEqual(await processesWith(marker), []);
      },
    );

    it('no cgroup: the watchdog ends the group and the marked daemons', async () => {
      const marker = freshMarker();
      await killedSupervisor(undefined, marker);
      assert.deepEqual(await processesWith(marker), []);
    });
  },
);
