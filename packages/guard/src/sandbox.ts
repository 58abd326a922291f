// The sandbox ladder: the strongest confinement this machine allows, found once per process by
// trying it, and a sentence saying what the chosen level lets through unseen.
import { spawn } from 'node:child_process';
import { findCgroupParent, type CgroupParent } from './cgroup.js';
import { selectSandbox, type SandboxChoice, type SandboxRequest } from './sandbox-select.js';
import { ROOT_PATH, SUDO_UNSHARE_FLAGS, sudoUnshareArgs } from './sandbox-sudo.js';

export { selectSandbox, type SandboxChoice, type SandboxRequest } from './sandbox-select.js';

/**
 * The flags that give the step its own user, network, mount and pid namespaces, and its own /proc:
 * the sudo route's, plus the user namespace that lets an ordinary user make the rest.
 */
export const UNSHARE_FLAGS = ['--user', '--map-root-user', ...SUDO_UNSHARE_FLAGS] as const;

/** What the probe runs inside: loopback up, and a process with every capability dropped. */
const PROBE_SCRIPT =
  'ip link set lo up && setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs -- true';

const PROBE_TIMEOUT_MS = 10_000;

// Runs a command once, bounded in time: undefined when it exits 0, else what went wrong.
function tryCommand(
  command: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(env === undefined ? {} : { env }),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`${command} did not run: ${error.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `${command} failed: ${stderr.trim() || `exit ${code}`}`);
    });
  });
}

// Runs the real thing once: a namespace where loopback can be brought up.
const probeNamespace = () => tryCommand('unshare', [...UNSHARE_FLAGS, 'sh', '-c', PROBE_SCRIPT]);

// The same namespaces made by root through passwordless sudo (never a password prompt: -n).
async function probeSudoNamespace(): Promise<string | undefined> {
  if (process.getuid?.() === 0) return 'the supervisor is root already';
  // Root runs the probe's tools: found in system directories only, never in the caller's PATH.
  return tryCommand('sudo', sudoUnshareArgs('sh', ['-c', PROBE_SCRIPT]), { PATH: ROOT_PATH });
}

/** Root, and iptables and ip6tables that can list their tables, and setpriv for the step. */
async function probeIptables(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root';
  const failures = await Promise.all([
    tryCommand('iptables', ['-w', '5', '-t', 'nat', '-n', '-L', 'OUTPUT']),
    tryCommand('ip6tables', ['-w', '5', '-n', '-L', 'OUTPUT']),
    tryCommand('setpriv', ['--version']),
  ]);
  const why = failures.filter((failure) => failure !== undefined);
  return why.length === 0 ? undefined : why.join('; ');
}

/** What the ladder tries, each once per process; tests inject one (a refused user namespace). */
export interface SandboxProbers {
  readonly namespace: () => Promise<string | undefined>;
  readonly sudoNamespace: () => Promise<string | undefined>;
  readonly iptables: () => Promise<string | undefined>;
  /** Where step cgroups can be made (v2, else a v1 freezer); undefined for neither. */
  readonly cgroup: () => Promise<CgroupParent | undefined>;
}

function once<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}

const PROBERS: SandboxProbers = {
  namespace: once(probeNamespace),
  sudoNamespace: once(probeSudoNamespace),
  iptables: once(probeIptables),
  cgroup: once(findCgroupParent),
};

/** The sandbox for the next step: the strongest available for `auto`, or exactly the one asked. */
export async function chooseSandbox(
  request: SandboxRequest,
  injected: Partial<SandboxProbers> = {},
): Promise<SandboxChoice> {
  const probe = { ...PROBERS, ...injected };
  // The lower rungs are probed only when a step may end up on them.
  const wantsNamespace = request === 'auto' || request === 'netns';
  const namespace = wantsNamespace ? await probe.namespace() : 'not tried';
  const sudoNamespace =
    wantsNamespace && namespace !== undefined ? await probe.sudoNamespace() : 'not tried';
  const lower = !wantsNamespace || (namespace !== undefined && sudoNamespace !== undefined);
  const wantsIptables = lower && request !== 'proxy-env' && request !== 'netns';
  return selectSandbox(request, {
    namespace,
    sudoNamespace,
    iptables: wantsIptables ? await probe.iptables() : 'not tried',
    cgroupParent: lower ? await probe.cgroup() : undefined,
  });
}
