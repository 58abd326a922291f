// cgroup v2 containment: a child of this process's own cgroup, killed at once with cgroup.kill.
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeWhenEmpty, stepCgroupName, subtreeProcs, type StepCgroup } from './cgroup-common.js';
import { signalAll } from './process-tree.js';

/** The cgroup v2 directory this process lives in, when cgroup2 is mounted and readable. */
export async function ownCgroupDir(): Promise<string | undefined> {
  try {
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    const line = mounts.split('\n').find((entry) => / - cgroup2 /.test(entry));
    const mountPoint = line?.split(' ')[4];
    const own = (await readFile('/proc/self/cgroup', 'utf8'))
      .split('\n')
      .find((entry) => entry.startsWith('0::'));
    if (mountPoint === undefined || own === undefined) return undefined;
    const dir = join(mountPoint, own.slice(3));
    await readFile(join(dir, 'cgroup.procs'), 'utf8');
    return dir;
  } catch {
    return undefined;
  }
}

/** Creates a child cgroup v2 under `parent` with cgroup.kill; undefined when the kernel or rights refuse. */
export async function createStepCgroupV2(parent: string): Promise<StepCgroup | undefined> {
  const path = join(parent, stepCgroupName());
  try {
    await mkdir(path);
    await readFile(join(path, 'cgroup.kill'), 'utf8').catch((error: unknown) => {
      // cgroup.kill is write-only: EINVAL/EACCES on read means it exists; ENOENT means it does not.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    });
  } catch {
    await rmdir(path).catch(() => undefined);
    return undefined;
  }
  const kill = () => writeFile(join(path, 'cgroup.kill'), '1\n').catch(() => undefined);
  return {
    path,
    adopt: (pid) => writeFile(join(path, 'cgroup.procs'), `${pid}\n`),
    pids: () => subtreeProcs(path),
    signal: async (signal) => {
      if (signal === 'SIGKILL') await kill();
      else signalAll(await subtreeProcs(path), signal);
    },
    remove: () => removeWhenEmpty(path, kill),
  };
}
