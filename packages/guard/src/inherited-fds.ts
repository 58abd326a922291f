// Descriptors this process inherited without close-on-exec. Node marks every descriptor it opens,
// and the low ones it inherits, close-on-exec, but not a high one its caller left open (a script's
// `exec 200<key`, a flock): that passes to every program spawned, so a step — even as a uid of its
// own that cannot open the file — could read it. Each is covered in the child, and only there,
// with /dev/null (spawn's stdio entries are dup'ed onto their index; `ignore` would leave it).
import type { StdioOptions } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { SathosError } from '@sathos/core';

const O_CLOEXEC = 0o2000000;

/** Past this a stdio list would be too long to hand to spawn: refuse instead. */
const MAX_COVERED_FD = 65_535;

/** Whether an /proc/self/fdinfo text lacks close-on-exec (its `flags:` field is octal). */
export function inheritable(fdinfo: string): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fdinfo)?.[1];
  // Unreadable flags: treat it as passing on (covering a descriptor costs nothing).
  return flags === undefined || (parseInt(flags, 8) & O_CLOEXEC) === 0;
}

/** This process's descriptors from `from` up that a spawned program would inherit. */
export function inheritableFds(from: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (!Number.isSafeInteger(fd) || fd < from) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed since the listing (readdir's own descriptor, say)
    }
    if (inheritable(info)) found.push(fd);
  }
  return found.sort((a, b) => a - b);
}

let devNull: number | undefined;

/** One entry of spawn's stdio list. */
type StdioEntry = Exclude<StdioOptions, string>[number];

/** `base`, extended so that every inheritable descriptor past it is /dev/null in the child. */
export function coverInherited(base: readonly StdioEntry[]): StdioOptions {
  const leaked = inheritableFds(base.length);
  const last = leaked.at(-1);
  if (last === undefined) return [...base];
  if (last > MAX_COVERED_FD)
    throw new SathosError(
      'SANDBOX_FAILED',
      `descriptor ${last} is open without close-on-exec and would pass to the step: close it before starting the supervisor`,
    );
  devNull ??= openSync('/dev/null', 'r');
  const stdio: StdioEntry[] = [...base];
  for (let fd = base.length; fd <= last; fd++) stdio.push('ignore');
  for (const fd of leaked) stdio[fd] = devNull;
  return stdio;
}
