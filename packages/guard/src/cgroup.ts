// The cgroup a proxy-env step is held by, a child of this process's own cgroup: v2 where it is
// mounted and offers cgroup.kill, else a v1 freezer hierarchy. Either way the step is moved in
// before it runs anything (step.ts holds it on a pipe until then), so every process it ever forks
// is born inside.
import type { CgroupParent, StepCgroup } from './cgroup-common.js';
import { createStepCgroupV1, ownFreezerDir } from './cgroup-v1.js';
import { createStepCgroupV2, ownCgroupDir } from './cgroup-v2.js';

export { containmentOf, type CgroupParent, type StepCgroup } from './cgroup-common.js';

/** Creates the step's cgroup under `parent`; undefined when the kernel or rights refuse. */
export function createStepCgroup(parent: CgroupParent): Promise<StepCgroup | undefined> {
  return parent.version === 2 ? createStepCgroupV2(parent.dir) : createStepCgroupV1(parent.dir);
}

// Makes and removes one step cgroup under `parent`: the real thing, tried once.
async function works(parent: CgroupParent): Promise<boolean> {
  const trial = await createStepCgroup(parent);
  if (trial === undefined) return false;
  await trial.remove();
  return true;
}

/** Where step cgroups can be made here: cgroup v2 first, else a v1 freezer; undefined for neither. */
export async function findCgroupParent(): Promise<CgroupParent | undefined> {
  const v2 = await ownCgroupDir();
  if (v2 !== undefined && (await works({ version: 2, dir: v2 }))) return { version: 2, dir: v2 };
  const v1 = await ownFreezerDir();
  if (v1 !== undefined && (await works({ version: 1, dir: v1 }))) return { version: 1, dir: v1 };
  return undefined;
}
