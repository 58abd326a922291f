// What both cgroup versions share: the step cgroup's interface, its name, listing its processes,
// and removing it once whatever is left in it has been killed.
import { readdir, readFile, rmdir } from 'node:fs/promises';
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
  /** Kills whatever is left and removes the cgroup once empty; false if it never emptied. */
  remove(): Promise<boolean>;
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

/** How deep the step's own sub-cgroups are followed (the kernel's default limit is far deeper). */
const MAX_SUBTREE_DEPTH = 32;

/**
 * The cgroup and every cgroup the step made below it, deepest first: a step may create child
 * cgroups in its own (it owns the directory) and move processes there, out of its cgroup.procs.
 */
export async function subtreeOf(path: string, depth = 0): Promise<string[]> {
  const entries =
    depth >= MAX_SUBTREE_DEPTH ? [] : await readdir(path, { withFileTypes: true }).catch(() => []);
  const below = await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => subtreeOf(join(path, e.name), depth + 1)),
  );
  return [...below.flat(), path];
}

/** The pids in the cgroup and every cgroup below it. */
export async function subtreeProcs(path: string): Promise<number[]> {
  return (await Promise.all((await subtreeOf(path)).map(procsOf))).flat();
}

const removed = (dir: string): Promise<boolean> =>
  rmdir(dir).then(
    () => true,
    (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT',
  );

/** Runs `kill` until the cgroup and its sub-cgroups are empty and removed, bounded; false if not. */
export async function removeWhenEmpty(path: string, kill: () => Promise<void>): Promise<boolean> {
  for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
    await kill();
    let empty = (await subtreeProcs(path)).length === 0;
    // Deepest first: a cgroup with children cannot be removed.
    for (const dir of empty ? await subtreeOf(path) : []) empty = empty && (await removed(dir));
    if (empty) return true;
    await pause(REMOVE_POLL_MS);
  }
  return false;
}

let counter = 0;

/** A fresh name for a step cgroup: this process and a counter. */
export function stepCgroupName(): string {
  return `sathos-step-${process.pid}-${++counter}`;
}
