// Starting the step's process tree under one of the two launchers: inside fresh namespaces with the
// namespace init as pid 1, or directly (proxy variables only) held by a cgroup or a process group.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import {
  LOOPBACK_UP_SCRIPT,
  NAMESPACE_INIT_SCRIPT,
  type NamespaceMessage,
  type NamespaceStart,
} from './namespace-init.js';
import { containmentOf, createStepCgroup, type CgroupParent } from './cgroup.js';
import {
  markedProcesses,
  markedSurvivors,
  newStepMark,
  pidNamespaceMembers,
  signalAll,
  STEP_MARK_VARIABLE,
  TreeTracker,
  type ContainmentKind,
  type TreeSignal,
} from './process-tree.js';
import { coverInherited } from './inherited-fds.js';
import { UNSHARE_FLAGS } from './sandbox.js';
import { startWatchdog } from './watchdog.js';
import type { NamespaceRoute } from './sandbox-select.js';
import { ROOT_PATH, sudoUnshareArgs } from './sandbox-sudo.js';

/** Where the step's stdout and stderr go: the supervisor's own, or the caller's streams. */
export type StepOutput = 'inherit' | { readonly stdout: Writable; readonly stderr: Writable };

export interface StepExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the launcher itself failed (init or relay died, cgroup refused): fail closed. */
  readonly failure: string | undefined;
}

export interface RunningStep {
  readonly pid: number;
  readonly containment: ContainmentKind;
  /** Notes from the launcher (e.g. DNS not relayed), for the report. */
  readonly notes: readonly string[];
  /** Resolves once the step's root process has ended. */
  readonly exited: Promise<StepExit>;
  /** The tree's processes by host pid, where the containment can list them (not in a namespace). */
  members(): Promise<number[]>;
  /** Signals every process of the tree. */
  signal(signal: TreeSignal): Promise<void>;
  /** Ends whatever is left of the tree (SIGKILL) and waits for its output to close. */
  reap(): Promise<void>;
  /**
   * After reap: what of the tree, as far as this containment can tell, still runs — a reason to
   * fail the step (closed) — or undefined when nothing does.
   */
  leftover?(): Promise<string | undefined>;
}

// Descriptors the supervisor inherited are /dev/null in the step: they could hold its caller's files.
function stdio(output: StepOutput): StdioOptions {
  return coverInherited(
    output === 'inherit'
      ? ['inherit', 'inherit', 'inherit', 'pipe']
      : ['ignore', 'pipe', 'pipe', 'pipe'],
  );
}

function connectOutput(child: ChildProcess, output: StepOutput): void {
  if (output === 'inherit') return;
  child.stdout?.pipe(output.stdout, { end: false });
  child.stderr?.pipe(output.stderr, { end: false });
}

function closed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );
}

/** How often a process-group step's descendants are listed, so that later re-parented ones are known. */
const TREE_POLL_MS = 1000;

/** How long reaping waits for the output pipes to close after the tree was killed. */
const REAP_WAIT_MS = 2000;

// A process that escaped the tree may hold the output pipes open: stop waiting for it, bounded.
async function settle(child: ChildProcess, done: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, REAP_WAIT_MS)))]);
  clearTimeout(timer);
  child.stdout?.destroy();
  child.stderr?.destroy();
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

// Reads the init's one-line JSON messages; anything unparsable is the init failing.
function readMessages(control: Socket, onMessage: (message: NamespaceMessage) => void): void {
  let pending = '';
  control.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      try {
        onMessage(JSON.parse(line) as NamespaceMessage);
      } catch {
        onMessage({ failed: 'the namespace init sent an unreadable message' });
      }
    }
  });
}

/** A namespace whose init is starting up, not yet told what to run. */
export interface BootingNamespace {
  /** Sends the step to the init; resolves once it runs (or the init ended). */
  start(start: NamespaceStart): Promise<RunningStep>;
  /** Ends the namespace when no step will be sent (the supervisor could not get ready). */
  abort(): Promise<void>;
}

/** Runs its arguments with fd 3 as stdin (and fd 3 closed): sudo passes only fds 0-2 on. */
const SUDO_STDIN_IS_CONTROL = 'exec "$@" <&3 3<&-';

/**
 * Starts the namespaces and their init (pid 1 of fresh user, net, mount and pid namespaces) at once,
 * so the init's start-up overlaps the gateway's; the step follows with `start`.
 */
export function bootNamespace(
  output: StepOutput,
  route: NamespaceRoute = 'user-namespace',
): BootingNamespace {
  // No inspector on SIGUSR1: the step could signal its init and run code with the init's rights.
  const init = [
    'sh',
    '-c',
    LOOPBACK_UP_SCRIPT,
    'sathos-init',
    process.execPath,
    '--disable-sigusr1',
    '-e',
    NAMESPACE_INIT_SCRIPT,
  ];
  // sudo closes every descriptor past stderr: a shell moves the control channel (fd 3) to stdin
  // first, and the init is told to find it there.
  const [command, args] =
    route === 'sudo'
      ? [
          'sh',
          [
            '-c',
            SUDO_STDIN_IS_CONTROL,
            'sathos-sudo',
            'sudo',
            ...sudoUnshareArgs(init[0] ?? '', [...init.slice(1), '0']),
          ],
        ]
      : ['unshare', [...UNSHARE_FLAGS, ...init]];
  const child = spawn(command, args, {
    stdio: stdio(output),
    // Through sudo the init is root: its tools come from system directories, not the caller's PATH.
    env: { PATH: route === 'sudo' ? ROOT_PATH : (process.env.PATH ?? ROOT_PATH) },
    // A session of its own: no controlling terminal, so the step cannot type (TIOCSTI) into the
    // caller's terminal a command its shell runs afterwards, outside the namespace.
    detached: true,
  });
  connectOutput(child, output);
  child.on('error', () => undefined);
  const done = closed(child);
  const control = child.stdio[3] as Socket;
  return {
    start: (start) => runInNamespace(child, control, done, start),
    abort: async () => {
      // Through sudo the init is root's: closing its control channel is what ends it.
      control.destroy();
      child.kill('SIGKILL');
      await settle(child, done);
    },
  };
}

// Runs the step as the child of the namespace init, once the init is up.
async function runInNamespace(
  child: ChildProcess,
  control: Socket,
  done: Promise<void>,
  start: NamespaceStart,
): Promise<RunningStep> {
  control.on('error', () => undefined);
  let exit: StepExit | undefined;
  const notes: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  // The step's end is known from the init's message, sent once it killed everything in the
  // namespace; the init and unshare exiting come after, and reap() waits for them.
  let reported: (exit: StepExit) => void = () => undefined;
  const reportedExit = new Promise<StepExit>((resolve) => (reported = resolve));
  readMessages(control, (message) => {
    if ('ready' in message) {
      notes.push(...message.ready.notes);
      markReady();
      return;
    }
    exit ??=
      'exit' in message
        ? { ...message.exit, failure: undefined }
        : { code: null, signal: null, failure: message.failed };
    reported(exit);
  });
  const exited = Promise.race([
    reportedExit,
    done.then(
      (): StepExit =>
        exit ?? {
          code: null,
          signal: null,
          failure: `the namespace init ended without reporting the step's exit (unshare: ${child.exitCode ?? child.signalCode ?? 'did not start'})`,
        },
    ),
  ]);
  control.write(`${JSON.stringify({ start })}\n`);
  await Promise.race([ready, done]);
  const initPid = async (): Promise<number | undefined> =>
    child.pid === undefined ? undefined : (await childrenOf(child.pid))[0];
  return {
    pid: child.pid ?? -1,
    containment: 'pid-namespace',
    notes,
    exited,
    members: () => Promise.resolve([]),
    signal: async (signal) => {
      const init = await initPid();
      if (signal === 'SIGTERM') {
        if (!control.destroyed) control.write(`${JSON.stringify({ signal })}\n`);
        if (init !== undefined)
          signalAll(
            (await pidNamespaceMembers(init)).filter((pid) => pid !== init),
            signal,
          );
        return;
      }
      // pid 1 of a pid namespace dying takes every process of the namespace with it. A root init
      // (through sudo) is out of this process's reach: the control channel closing ends it.
      if (init !== undefined) signalAll([init], 'SIGKILL');
      control.destroy();
      child.kill('SIGKILL');
    },
    reap: async () => {
      const init = await initPid();
      if (init !== undefined) signalAll([init], 'SIGKILL');
      control.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await settle(child, done);
    },
  };
}

/**
 * Waits on fd 3 for the supervisor's go (after the cgroup move and the watchdog), then becomes the
 * step; the pipe closing without it (the supervisor died first) runs nothing.
 */
const GATE = 'read -r go <&3 && [ "$go" = go ] || exit 125; exec 3<&-; exec "$@"';

export interface PlainStepOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly output: StepOutput;
  readonly cgroupParent: CgroupParent | undefined;
  /** A program the step's shell runs under (setpriv giving it another identity), with its arguments. */
  readonly wrapper?: readonly string[];
}

/** Runs the step directly (its own process group), moved into a fresh cgroup first when possible. */
export async function startPlainStep(options: PlainStepOptions): Promise<RunningStep> {
  const cgroup =
    options.cgroupParent === undefined ? undefined : await createStepCgroup(options.cgroupParent);
  // Every process of the step inherits the marker; one that left both the session and the tree
  // (a quick double fork) is still found by it at each signal, unless it cleared its environment.
  const mark = newStepMark();
  const [program = 'sh', ...argv] = [
    ...(options.wrapper ?? []),
    ...['sh', '-c', GATE, 'sathos-step', options.command, ...options.args],
  ];
  const child = spawn(program, argv, {
    stdio: stdio(options.output),
    env: { ...options.env, [STEP_MARK_VARIABLE]: mark },
    cwd: options.cwd,
    detached: true,
  });
  connectOutput(child, options.output);
  child.on('error', () => undefined);
  const control = child.stdio[3] as Socket;
  control.on('error', () => undefined);
  const done = closed(child);
  let failure: string | undefined;
  if (options.cgroupParent !== undefined) {
    try {
      if (cgroup === undefined || child.pid === undefined) throw new Error('no cgroup');
      await cgroup.adopt(child.pid);
    } catch (error) {
      failure = `the step could not be moved into its cgroup (${error instanceof Error ? error.message : String(error)})`;
      child.kill('SIGKILL');
    }
  }
  // Started before the go: from the step's first instruction, the supervisor dying ends the tree.
  const watchdog =
    child.pid === undefined
      ? undefined
      : startWatchdog({
          pgid: child.pid,
          cgroup:
            cgroup === undefined || options.cgroupParent === undefined
              ? undefined
              : { parent: options.cgroupParent, path: cgroup.path },
          mark,
        });
  if (failure === undefined) control.end('go\n');
  const exited = new Promise<StepExit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal, failure });
    });
    child.once('error', (error) => {
      resolve({ code: null, signal: null, failure: `the step did not start: ${error.message}` });
    });
  });
  const pid = child.pid ?? -1;
  // Polled under a cgroup too: a process of the step may write itself into another cgroup it can
  // write to (its parent's, as the same user), out of reach of cgroup.kill; its parentage remains.
  const tracker = new TreeTracker(pid);
  const poll = setInterval(() => void tracker.refresh(), TREE_POLL_MS).unref();
  void exited.then(() => {
    clearInterval(poll);
  });
  let removed = true;
  let survivors: number[] = [];
  const signalTree = async (signal: TreeSignal): Promise<void> => {
    if (cgroup !== undefined) await cgroup.signal(signal);
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already empty.
    }
    await tracker.signal(signal);
    signalAll(await markedProcesses(mark), signal);
  };
  return {
    pid,
    containment: containmentOf(options.cgroupParent),
    notes: [],
    exited,
    members: () => (cgroup === undefined ? tracker.members() : cgroup.pids()),
    signal: signalTree,
    reap: async () => {
      await signalTree('SIGKILL');
      removed = (await cgroup?.remove()) ?? true;
      // A SIGKILLed process lingers a moment: wait (bounded) until the marked ones are gone.
      survivors = await markedSurvivors(mark);
      watchdog?.release();
      await settle(child, done);
    },
    leftover: () =>
      Promise.resolve(
        !removed
          ? `the step's cgroup ${cgroup?.path ?? ''} still held processes after SIGKILL`
          : survivors.length === 0
            ? undefined
            : `${survivors.length} process(es) of the step survived SIGKILL (pid ${survivors.join(', ')})`,
      ),
  };
}
