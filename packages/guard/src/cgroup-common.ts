// What both cgroup versions share: the step cgroup's interface, its name, listing its processes,
// and removing it once whatever is left in it has been killed.
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainmentKind, TreeSignal } from './process-tree.js';

/** Where step cgroups are made: a writable cgroup v2 directory, or a cgroup v1 freezer directory. */
export interface CgroupParent {
  readonly version: 1 | 2;
  readonly dir: string;
}

/** The containment a step cgroup under `parent` gives; none is the process group. */
export function containmentOf(parent: CgroupParent | undefined): ContainmentKind {
  if (parent === undefined) return 'process-group';
  return parent.version === 2 ? 'cgroup' : 'cgroup-v1';
}

/** A child cgroup the step is moved into, so that one kill reaches every process it ever forked. */
export interface StepCgroup {
  readonly path: string;
  /** Moves a process in; its later children are born inside. */
  adopt(pid: number): Promise<void>;
  pids(): Promise<number[]>;
  signal(signal: TreeSignal): Promise<void>;
  /** Kills whatever is left and removes the cgroup once empty. */
  remove(): Promise<void>;
}

/** How often, and how many times, removal kills what is left and tries rmdir (5 s in all). */
export const REMOVE_POLL_MS = 20;
export const REMOVE_ATTEMPTS = 250;

export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** The pids listed in a cgroup's cgroup.procs (either version); none once it is gone. */
export async function procsOf(path: string): Promise<number[]> {
  try {
    return (await readFile(join(path, 'cgroup.procs'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Runs `kill` until the cgroup is empty and removed, bounded; false if it never emptied. */
export async function removeWhenEmpty(path: string, kill: () => Promise<void>): Promise<boolean> {
  for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
    await kill();
    const removed =
      (await procsOf(path)).length === 0 &&
      (await rmdir(path).then(
        () => true,
        () => false,
      ));
    if (removed) return true;
    await pause(REMOVE_POLL_MS);
  }
  return false;
}

let counter = 0;

/** A fresh name for a step cgroup: this process and a counter. */
export function stepCgroupName(): string {
  return `sathos-step-${process.pid}-${++counter}`;
}
