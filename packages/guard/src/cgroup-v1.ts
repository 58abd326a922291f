// cgroup v1 containment, for hosts without a usable cgroup v2 (v1-only hosts, and hybrid hosts on a
// kernel without cgroup.kill): a per-step cgroup in the `freezer` hierarchy. v1 has no cgroup.kill,
// and killing pid by pid races with forks, so the kill is: freeze the cgroup (no process in it runs,
// so none can fork), SIGKILL every listed pid, thaw (the signals are delivered), repeat until empty.
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  pause,
  removeWhenEmpty,
  stepCgroupName,
  subtreeProcs,
  type StepCgroup,
} from './cgroup-common.js';
import { signalAll } from './process-tree.js';

/** How long a freeze may stay FREEZING (a task in uninterruptible sleep) before killing anyway. */
const FREEZE_WAIT_MS = 1000;
const FREEZE_POLL_MS = 10;

/** The directory of this process's cgroup in a mounted, readable v1 `freezer` hierarchy. */
export async function ownFreezerDir(): Promise<string | undefined> {
  try {
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    // "... <mount point> <options> - cgroup <source> <super options, freezer among them>"
    const line = mounts
      .split('\n')
      .find((entry) => / - cgroup \S+ (\S+,)?freezer(,\S+)?$/.test(entry.trim()));
    const mountPoint = line?.split(' ')[4];
    const own = (await readFile('/proc/self/cgroup', 'utf8'))
      .split('\n')
      .map((entry) => entry.split(':'))
      .find((fields) => fields[1]?.split(',').includes('freezer') === true);
    if (mountPoint === undefined || own === undefined) return undefined;
    const dir = join(mountPoint, own.slice(2).join(':'));
    await readFile(join(dir, 'cgroup.procs'), 'utf8');
    return dir;
  } catch {
    return undefined;
  }
}

const stateOf = (path: string): Promise<string> =>
  readFile(join(path, 'freezer.state'), 'utf8').then(
    (text) => text.trim(),
    () => 'GONE',
  );

// Freezes, waiting (bounded) until every task is frozen; a FREEZING left over is killed all the same.
async function freeze(path: string): Promise<void> {
  await writeFile(join(path, 'freezer.state'), 'FROZEN\n').catch(() => undefined);
  for (let waited = 0; waited < FREEZE_WAIT_MS; waited += FREEZE_POLL_MS) {
    const state = await stateOf(path);
    if (state === 'FROZEN' || state === 'GONE') return;
    await pause(FREEZE_POLL_MS);
  }
}

/** Freeze, SIGKILL every member, thaw: no member can fork between the listing and the kill. */
async function killFrozen(path: string): Promise<void> {
  await freeze(path);
  // The step's own sub-cgroups freeze with it (v1 freezer is hierarchical) but list apart.
  signalAll(await subtreeProcs(path), 'SIGKILL');
  await writeFile(join(path, 'freezer.state'), 'THAWED\n').catch(() => undefined);
}

/** Creates a step cgroup under a v1 freezer directory; undefined when the kernel or rights refuse. */
export async function createStepCgroupV1(parent: string): Promise<StepCgroup | undefined> {
  const path = join(parent, stepCgroupName());
  try {
    await mkdir(path);
    if ((await stateOf(path)) !== 'THAWED') throw new Error('not a freezer cgroup');
  } catch {
    await rmdir(path).catch(() => undefined);
    return undefined;
  }
  return {
    path,
    adopt: (pid) => writeFile(join(path, 'cgroup.procs'), `${pid}\n`),
    pids: () => subtreeProcs(path),
    signal: async (signal) => {
      if (signal === 'SIGKILL') await killFrozen(path);
      else signalAll(await subtreeProcs(path), signal);
    },
    remove: () => removeWhenEmpty(path, () => killFrozen(path)),
  };
}
