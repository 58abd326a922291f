// Finding and ending a process tree from the outside, through /proc: what the supervisor adds to a
// cgroup (cgroup.ts), or falls back to, when the step cannot have its own pid namespace.
import { randomBytes } from 'node:crypto';
import { readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** How the step's process tree is held together so that a halt reaches every process in it. */
export type ContainmentKind = 'pid-namespace' | 'cgroup' | 'cgroup-v1' | 'process-group';

/** What each containment holds the tree by, for the report: the weaker ones say what escapes. */
export const CONTAINMENT_DESCRIPTIONS: Readonly<Record<ContainmentKind, string>> = {
  'pid-namespace': 'its own pid namespace',
  cgroup: 'a cgroup v2',
  'cgroup-v1': 'a cgroup v1 (freezer)',
  'process-group':
    'process group + environment marker (a process that clears its environment escapes)',
};

/** Signals the supervisor sends to a tree. */
export type TreeSignal = 'SIGTERM' | 'SIGKILL';

async function numericEntries(dir: string): Promise<number[]> {
  try {
    return (await readdir(dir)).filter((name) => /^[0-9]+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

/** The parent pid of `pid` from /proc/<pid>/stat, or undefined once it is gone. */
async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces or ')': read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** When `pid` started (clock ticks since boot, /proc/<pid>/stat field 22), or undefined once gone. */
async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Every descendant of one root ever seen (polled while the step runs, and at each signal), each with
 * its start time: a process re-parented away after it was seen is still signalled, a reused pid never.
 */
export class TreeTracker {
  private readonly seen = new Map<number, string>();

  constructor(private readonly root: number) {}

  async refresh(): Promise<void> {
    const fresh = (await descendantsOf(this.root)).filter((pid) => !this.seen.has(pid));
    const starts = await Promise.all(fresh.map(startTimeOf));
    fresh.forEach((pid, i) => {
      const start = starts[i];
      if (start !== undefined) this.seen.set(pid, start);
    });
  }

  /** The root and every descendant seen so far. */
  async members(): Promise<number[]> {
    await this.refresh();
    return [this.root, ...this.seen.keys()];
  }

  async signal(signal: TreeSignal): Promise<void> {
    await this.refresh();
    const known = [...this.seen];
    const now = await Promise.all(known.map(([pid]) => startTimeOf(pid)));
    known.forEach(([pid, start], i) => {
      // A pid whose start time changed was reused by an unrelated process: never signal it.
      if (now[i] === start) signalAll([pid], signal);
      else this.seen.delete(pid);
    });
  }
}

/** Every live descendant of `root` (not `root` itself), from one walk of /proc. */
export async function descendantsOf(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  // Read at once, not one after another: on a loaded machine each sequential read waits its turn,
  // and this walk runs at every poll and at the step's end (hundreds of ms for ~100 processes).
  const pids = await numericEntries('/proc');
  const parents = await Promise.all(pids.map(parentOf));
  pids.forEach((pid, i) => {
    const parent = parents[i];
    if (parent === undefined) return;
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [pid]);
    else siblings.push(pid);
  });
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** The processes (by host pid) living in the same pid namespace as `member`. */
export async function pidNamespaceMembers(member: number): Promise<number[]> {
  let namespace: string;
  try {
    namespace = await readlink(`/proc/${member}/ns/pid`);
  } catch {
    return [];
  }
  const pids = await numericEntries('/proc');
  // Gone, or not ours to read: not a member.
  const links = await Promise.all(
    pids.map((pid) => readlink(`/proc/${pid}/ns/pid`).catch(() => undefined)),
  );
  const members = pids.filter((_, i) => links[i] === namespace);
  return members;
}

/** The variable every process of a plain step inherits: its value is the step's marker. */
export const STEP_MARK_VARIABLE = 'SATHOS_STEP_MARK';

/** A fresh marker for one step: 128 random bits, so no other process carries it by chance. */
export function newStepMark(): string {
  return randomBytes(16).toString('hex');
}

// Whether `pid` runs as this process's user and carries `entry` in its environment. Processes of
// other users are not ours to judge (nor, unless root, to read); unreadable or gone ones are skipped.
async function carries(pid: number, entry: Buffer, uid: number | undefined): Promise<boolean> {
  try {
    if (uid !== undefined && (await stat(`/proc/${pid}`)).uid !== uid) return false;
    const environ = await readFile(`/proc/${pid}/environ`);
    // Entries are NUL-terminated: match a whole entry, never a suffix of another one.
    const at = environ.indexOf(entry);
    return at === 0 || (at > 0 && environ.indexOf(Buffer.concat([Buffer.of(0), entry])) >= 0);
  } catch {
    return false;
  }
}

/**
 * Every process of this user (not this one) whose environment holds the step's marker: what a
 * double-forked daemon that left the session and the tree still carries, unless it cleared it.
 */
export async function markedProcesses(mark: string): Promise<number[]> {
  const entry = Buffer.from(`${STEP_MARK_VARIABLE}=${mark}\0`);
  const uid = process.getuid?.();
  const pids = (await numericEntries('/proc')).filter((pid) => pid !== process.pid);
  const found = await Promise.all(pids.map((pid) => carries(pid, entry, uid)));
  return pids.filter((_, i) => found[i]);
}

/** How long killed processes get to disappear before they count as survivors. */
const SURVIVOR_WAIT_MS = 2000;

/** The marked processes still alive after the step's kill, killed again for a bounded while. */
export async function markedSurvivors(mark: string): Promise<number[]> {
  let left = await markedProcesses(mark);
  for (let waited = 0; left.length > 0 && waited < SURVIVOR_WAIT_MS; waited += 50) {
    signalAll(left, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await markedProcesses(mark);
  }
  return left;
}

/** Sends `signal` to each pid, ignoring the ones already gone. */
export function signalAll(pids: readonly number[], signal: TreeSignal): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Unix socket files under each root (to its depth, symlinks not followed), except under `skip`. */
export async function socketFiles(
  roots: readonly (readonly [root: string, depth: number])[],
  skip: string,
): Promise<string[]> {
  const found = new Set<string>();
  // Entry types come with the listing (no stat per file); subdirectories are walked in parallel.
  const walk = async (dir: string, level: number, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const subdirectories: Promise<void>[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (path === skip) continue;
      if (entry.isSocket()) found.add(path);
      else if (entry.isDirectory() && level < depth) {
        subdirectories.push(walk(path, level + 1, depth));
      }
    }
    await Promise.all(subdirectories);
  };
  for (const [root, depth] of roots) {
    const real = await realpath(root).catch(() => undefined);
    if (real !== undefined) await walk(real, 1, depth);
  }
  return [...found];
}

// The inode of the loopback TCP socket whose local port is `clientPort` and peer port `serverPort`.
async function loopbackSocketInode(
  clientPort: number,
  serverPort: number,
): Promise<string | undefined> {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = Number.parseInt(fields[1]?.split(':').at(-1) ?? '', 16);
      const remote = Number.parseInt(fields[2]?.split(':').at(-1) ?? '', 16);
      if (local === clientPort && remote === serverPort) return fields[9];
    }
  }
  return undefined;
}

/** Which of `candidates` holds the loopback TCP connection from `clientPort` to `serverPort`. */
export async function pidOfLoopbackClient(
  clientPort: number,
  serverPort: number,
  candidates: readonly number[],
): Promise<number | undefined> {
  const inode = await loopbackSocketInode(clientPort, serverPort);
  if (inode === undefined || inode === '0') return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of candidates) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === target) return pid;
    }
  }
  return undefined;
}
