// Starting the supervised step in the sandbox chosen for it: in the namespace (its init told what
// to run, DNS and the proxy relayed, daemon sockets covered) or directly with proxy variables.
import { realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SathosError } from '@sathos/core';
import type { Gateway } from './gateway.js';
import { startIptablesStep, type OnDirectEgress } from './launch-iptables.js';
import { bindFstab } from './namespace-init.js';
import { socketFiles } from './process-tree.js';
import type { SandboxChoice } from './sandbox.js';
import { ownIdentity, type StepIdentity } from './sandbox-sudo.js';
import { startPlainStep, type BootingNamespace, type RunningStep } from './step.js';
import type { SuperviseOptions } from './supervise.js';

/** Where daemons keep their unix sockets (Docker, containerd, D-Bus, systemd, ssh-agent, X11), how deep. */
const SOCKET_ROOTS: readonly (readonly [string, number])[] = [
  ['/run', 4],
  ['/var/run', 4],
  ['/tmp', 2],
];
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'] as const;

function cleanEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && name.toUpperCase() !== 'NO_PROXY') out[name] = value;
  }
  return out;
}

function withProxy(env: Record<string, string>, proxyUrl: string): Record<string, string> {
  const out = { ...env };
  for (const name of PROXY_VARIABLES) {
    out[name] = proxyUrl;
    out[name.toLowerCase()] = proxyUrl;
  }
  return out;
}

export async function launch(
  choice: SandboxChoice,
  booting: BootingNamespace | undefined,
  gateway: Gateway,
  dir: string,
  options: SuperviseOptions,
  onDirectEgress?: OnDirectEgress,
  onFirstDirectEgress?: OnDirectEgress,
): Promise<RunningStep> {
  const env = cleanEnv(options.env ?? process.env);
  const args = [...(options.args ?? [])];
  const cwd = options.cwd ?? process.cwd();
  const output = options.output ?? 'inherit';
  if (booting !== undefined) {
    const resolvConf = join(dir, 'resolv.conf');
    await writeFile(resolvConf, 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n');
    const emptyFile = join(dir, 'empty');
    await writeFile(emptyFile, '');
    const hideSockets = await socketFiles(SOCKET_ROOTS, await realpath(dir));
    const fstab = join(dir, 'fstab');
    await writeFile(fstab, bindFstab(resolvConf, emptyFile, hideSockets));
    return booting.start({
      command: options.command,
      args,
      env,
      cwd,
      proxySocket: gateway.proxySocketPath ?? '',
      dnsSocket: gateway.dnsSocketPath ?? '',
      resolvConf,
      hideSockets,
      emptyFile,
      fstab,
      // Through sudo the init is root: the step goes back to this process's own user.
      ...(choice.route === 'sudo' ? { runAs: requireOwnIdentity() } : {}),
    });
  }
  const plain = {
    command: options.command,
    args,
    env: withProxy(env, gateway.proxyUrl),
    cwd,
    output,
    cgroupParent: choice.cgroupParent,
  };
  return choice.kind === 'iptables'
    ? startIptablesStep(plain, gateway, onDirectEgress, onFirstDirectEgress)
    : startPlainStep(plain);
}

function requireOwnIdentity(): StepIdentity {
  const identity = ownIdentity();
  if (identity === undefined) {
    throw new SathosError(
      'SANDBOX_FAILED',
      'the sudo sandbox needs this process\'s uid and gid, which this platform does not give: use sandbox "auto"',
    );
  }
  return identity;
}
