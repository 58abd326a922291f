// The iptables level's step identity: a uid (and a group of the same number) that no account names
// and no process holds, picked per run, so that the owner match sees exactly the step's sockets and
// every process holding that uid is the step's. Not the supervisor's root without capabilities: a
// capability-less uid 0 still owns /etc and may write /proc/sys (kernel.core_pattern runs a program
// as full root), which undoes any rule; a fresh uid owns nothing, cannot signal or read the
// supervisor (/proc/<pid>/environ needs the same uid), and with no new privileges cannot sudo.
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { signalAll } from './process-tree.js';

/** Where step uids are drawn from: far above any account range, below 2^31 (some tools' limit). */
const UID_LOW = 2_000_000_000;
const UID_HIGH = 2_100_000_000;
const PICK_ATTEMPTS = 32;

/** The numeric ids in an /etc/passwd or /etc/group text (third field). */
function namedIds(text: string): Set<number> {
  const ids = new Set<number>();
  for (const line of text.split('\n')) {
    const id = Number(line.split(':')[2]);
    if (Number.isSafeInteger(id)) ids.add(id);
  }
  return ids;
}

async function readOr(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Every uid and gid (real, effective, saved, fs, supplementary) some live process holds. */
async function heldIds(): Promise<Set<number>> {
  const held = new Set<number>();
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const status = await readOr(`/proc/${name}/status`);
    for (const line of status.split('\n')) {
      if (!/^(Uid|Gid|Groups):/.test(line)) continue;
      for (const word of line.split(/\s+/).slice(1)) if (word !== '') held.add(Number(word));
    }
  }
  return held;
}

/** A uid no account names and no process holds; the same number serves as its group. */
export async function freshStepUid(): Promise<number> {
  const named = new Set([
    ...namedIds(await readOr('/etc/passwd')),
    ...namedIds(await readOr('/etc/group')),
  ]);
  const held = await heldIds();
  for (let attempt = 0; attempt < PICK_ATTEMPTS; attempt++) {
    const uid = randomInt(UID_LOW, UID_HIGH);
    if (!named.has(uid) && !held.has(uid)) return uid;
  }
  throw new Error('no unused uid was found for the step');
}

/** setpriv's arguments: the fresh uid and group, no other group, no capability, no new privileges. */
export function stepIdentityArgs(uid: number): string[] {
  return [
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--bounding-set=-all',
    '--inh-caps=-all',
    '--ambient-caps=-all',
    '--no-new-privs',
    '--',
  ];
}

/** The live processes whose real, effective, saved or fs uid is `uid`. */
export async function processesOfUid(uid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    if (holdsUid(await readOr(`/proc/${name}/status`), uid)) found.push(Number(name));
  }
  return found;
}

function holdsUid(status: string, uid: number): boolean {
  const lines = status.split('\n');
  // A zombie holds nothing and is gone once its parent reaps it.
  if (lines.some((l) => /^State:\s+Z/.test(l))) return false;
  const ids = lines
    .find((l) => l.startsWith('Uid:'))
    ?.split(/\s+/)
    .slice(1);
  return ids?.includes(String(uid)) === true;
}

/** The same, synchronously: for the exit hooks, where nothing asynchronous runs any more. */
export function killUidSync(uid: number): void {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const left = readdirSync('/proc').filter((name) => {
      if (!/^[0-9]+$/.test(name)) return false;
      try {
        return holdsUid(readFileSync(`/proc/${name}/status`, 'utf8'), uid);
      } catch {
        return false;
      }
    });
    if (left.length === 0) return;
    signalAll(left.map(Number), 'SIGKILL');
  }
}

const KILL_ROUNDS = 50;

/**
 * SIGKILLs every process of the step's uid until none is left (a process cannot leave its uid, so
 * this reaches a daemon that escaped every tree). False if some survived every round.
 */
export async function killUid(uid: number): Promise<boolean> {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const left = await processesOfUid(uid);
    if (left.length === 0) return true;
    signalAll(left, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return (await processesOfUid(uid)).length === 0;
}
