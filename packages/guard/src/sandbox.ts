// The sandbox ladder: the strongest confinement this machine allows, found once per process by
// trying it, and a sentence saying what the chosen level lets through unseen.
import { spawn } from 'node:child_process';
import { findCgroupParent, type CgroupParent } from './cgroup.js';
import { selectSandbox, type SandboxChoice, type SandboxRequest } from './sandbox-select.js';

export { selectSandbox, type SandboxChoice, type SandboxRequest } from './sandbox-select.js';

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

// Runs a command once, bounded in time: undefined when it exits 0, else what went wrong.
function tryCommand(command: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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

let namespaceProbe: Promise<string | undefined> | undefined;
let cgroupProbe: Promise<CgroupParent | undefined> | undefined;

/** Root, and an iptables (or nft) that can list the nat table: what redirection would need. */
async function probeIptables(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root';
  const iptables = await tryCommand('iptables', ['-w', '5', '-t', 'nat', '-n', '-L', 'OUTPUT']);
  if (iptables === undefined) return undefined;
  const nft = await tryCommand('nft', ['list', 'tables']);
  return nft === undefined ? undefined : `${iptables}; ${nft}`;
}

let iptablesProbe: Promise<string | undefined> | undefined;

/** The sandbox for the next step: the strongest available for `auto`, or exactly the one asked. */
export async function chooseSandbox(request: SandboxRequest): Promise<SandboxChoice> {
  namespaceProbe ??= request === 'proxy-env' ? undefined : probeNamespace();
  const namespace = request === 'proxy-env' ? 'not tried' : await namespaceProbe;
  // The lower rungs are probed only when a step may end up on them.
  const lower = request === 'proxy-env' || request === 'iptables' || namespace !== undefined;
  if (lower) {
    iptablesProbe ??= probeIptables();
    cgroupProbe ??= findCgroupParent();
  }
  return selectSandbox(request, {
    namespace,
    iptables: lower ? await iptablesProbe : 'not tried',
    cgroupParent: lower ? await cgroupProbe : undefined,
  });
}
