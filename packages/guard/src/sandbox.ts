// The sandbox ladder: the strongest confinement this machine allows, found once per process by
// trying it, and a sentence saying what the chosen level lets through unseen.
import { spawn } from 'node:child_process';
import { SathosError, type SandboxKind } from '@sathos/core';
import { createStepCgroup, ownCgroupDir, type ContainmentKind } from './process-tree.js';

/** `auto` picks the strongest available; a named kind is required (its absence is an error). */
export type SandboxRequest = 'auto' | SandboxKind;

export interface SandboxChoice {
  readonly kind: SandboxKind;
  readonly containment: ContainmentKind;
  /** What this level sees and what it misses, for the report. */
  readonly note: string;
  /** The cgroup v2 directory step cgroups are created under (proxy-env with cgroup containment). */
  readonly cgroupParent: string | undefined;
}

/** The flags that give the step its own user, network, mount and pid namespaces, and its own /proc. */
export const UNSHARE_FLAGS = [
  '--user',
  '--map-root-user',
  '--net',
  '--mount',
  '--pid',
  '--fork',
  '--kill-child',
  '--mount-proc',
] as const;

/** What the probe runs inside: loopback up, and a process with every capability dropped. */
const PROBE_SCRIPT =
  'ip link set lo up && setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs -- true';

const PROBE_TIMEOUT_MS = 10_000;

// Runs the real thing once: a namespace where loopback can be brought up. Error text, or undefined.
function probeNamespace(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('unshare', [...UNSHARE_FLAGS, 'sh', '-c', PROBE_SCRIPT], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`unshare did not run: ${error.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `unshare failed: ${stderr.trim() || `exit ${code}`}`);
    });
  });
}

let namespaceProbe: Promise<string | undefined> | undefined;
let cgroupProbe: Promise<string | undefined> | undefined;

// A cgroup directory where a child with cgroup.kill can be made and removed, tried once.
async function probeCgroup(): Promise<string | undefined> {
  const parent = await ownCgroupDir();
  if (parent === undefined) return undefined;
  const trial = await createStepCgroup(parent);
  if (trial === undefined) return undefined;
  await trial.remove();
  return parent;
}

const NETNS_NOTE =
  'network namespace: the step has only loopback; its one way out is the gateway, through a relay ' +
  'on 127.0.0.1 inside the namespace and DNS on 127.0.0.1:53; a tool that ignores the proxy ' +
  'variables reaches nothing; the unix sockets under /run and /tmp when the step starts are ' +
  'covered, a unix socket elsewhere or created later stays reachable';

function proxyEnvNote(why: string, containment: ContainmentKind): string {
  return (
    `proxy variables only (${why}; iptables redirection is not implemented): tools that honour ` +
    'HTTP(S)_PROXY/ALL_PROXY were decided, tools that ignore them connected directly and went ' +
    `unseen; DNS was not decided; tree held by ${containment === 'cgroup' ? 'a cgroup v2' : 'its process group and a /proc walk (a daemon that left the session escapes)'}`
  );
}

/** The sandbox for the next step: the strongest available for `auto`, or exactly the one asked. */
export async function chooseSandbox(request: SandboxRequest): Promise<SandboxChoice> {
  if (request === 'iptables') {
    throw new SathosError(
      'USAGE',
      'the iptables sandbox is not implemented: use sandbox "auto", "netns" or "proxy-env"',
    );
  }
  if (request !== 'proxy-env') {
    namespaceProbe ??= probeNamespace();
    const failure = await namespaceProbe;
    if (failure === undefined) {
      return {
        kind: 'netns',
        containment: 'pid-namespace',
        note: NETNS_NOTE,
        cgroupParent: undefined,
      };
    }
    if (request === 'netns') {
      throw new SathosError(
        'USAGE',
        `a network namespace is not available here (${failure}): run as root, allow unprivileged user namespaces, or use sandbox "proxy-env"`,
      );
    }
  }
  cgroupProbe ??= probeCgroup();
  const cgroupParent = await cgroupProbe;
  const containment: ContainmentKind = cgroupParent === undefined ? 'process-group' : 'cgroup';
  const why =
    request === 'proxy-env'
      ? 'asked for by the caller'
      : `no network namespace: ${(await namespaceProbe) ?? 'unknown'}`;
  return { kind: 'proxy-env', containment, note: proxyEnvNote(why, containment), cgroupParent };
}
