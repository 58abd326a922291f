// Which sandbox a step gets, from what the probes found: pure, so every rung of the ladder is
// tested on any machine. The probes (sandbox.ts) run the real thing once per process.
import { SathosError, type SandboxKind } from '@sathos/core';
import { containmentOf, type CgroupParent } from './cgroup-common.js';
import { CONTAINMENT_DESCRIPTIONS, type ContainmentKind } from './process-tree.js';

/** `auto` picks the strongest available; a named kind is required (its absence is an error). */
export type SandboxRequest = 'auto' | SandboxKind;

/** Every request, strongest level first. */
export const SANDBOX_REQUESTS: readonly SandboxRequest[] = [
  'auto',
  'netns',
  'iptables',
  'proxy-env',
];

/** How the netns level's namespaces are made: unprivileged, or by root through `sudo -n`. */
export type NamespaceRoute = 'user-namespace' | 'sudo';

export interface SandboxChoice {
  readonly kind: SandboxKind;
  readonly containment: ContainmentKind;
  /** What this level sees and what it misses, for the report. */
  readonly note: string;
  /** Where step cgroups are created (proxy-env with cgroup containment, either version). */
  readonly cgroupParent: CgroupParent | undefined;
  /** How the namespaces are made, on the netns level only. */
  readonly route: NamespaceRoute | undefined;
}

/** What the probes found: undefined where a level works, else why it does not. */
export interface SandboxProbes {
  /** Unprivileged: a user namespace with net, mount and pid namespaces in it. */
  readonly namespace: string | undefined;
  /** The same made by root through passwordless `sudo -n` (not tried as root, or when unneeded). */
  readonly sudoNamespace: string | undefined;
  /** Root, and `iptables`, `ip6tables` and `setpriv` that work: the owner-match level. */
  readonly iptables: string | undefined;
  readonly cgroupParent: CgroupParent | undefined;
}

export const NETNS_NOTE =
  'network namespace: the step has only loopback; its one way out is the gateway, through a relay ' +
  'on 127.0.0.1 inside the namespace and DNS on 127.0.0.1:53; a tool that ignores the proxy ' +
  'variables reaches nothing; the unix sockets under /run and /tmp when the step starts are ' +
  'covered, a unix socket elsewhere or created later stays reachable';

export const SUDO_NETNS_NOTE =
  'network namespace (via sudo): made by root through passwordless sudo, the step back as the ' +
  "supervisor's own user with no capability and no new privileges (so not its sudo either); " +
  NETNS_NOTE.slice(NETNS_NOTE.indexOf(':') + 2);

function iptablesNote(containment: ContainmentKind): string {
  return (
    'iptables (owner match): the step runs as a uid of its own (no account, no capability, no new ' +
    'privileges: it cannot read or signal the supervisor, nor write what root owns); its packets ' +
    "may reach only the gateway's proxy port on 127.0.0.1, DNS on port 53 is redirected to the " +
    "gateway's resolver, every other connection is rejected and counted (the sandbox cannot name " +
    "its host); it shares the host's loopback (a server it starts there is unreachable, even to " +
    'itself), pid namespace and file system (a unix socket open to every user stays reachable, and ' +
    'so does every abstract one: a daemon behind one connects on its behalf, unseen); ' +
    'tree held by ' +
    CONTAINMENT_DESCRIPTIONS[containment] +
    ', and every process of its uid killed at the end'
  );
}

function proxyEnvNote(why: string, containment: ContainmentKind): string {
  return (
    `proxy variables only (${why}): tools that honour HTTP(S)_PROXY/ALL_PROXY were decided, ` +
    'tools that ignore them connected directly and went unseen; DNS was not decided; tree held by ' +
    CONTAINMENT_DESCRIPTIONS[containment]
  );
}

/** The sandbox for `request` given what the probes found; throws when a named level is missing. */
// The ladder, strongest first: netns (unprivileged) > netns (sudo) > iptables (root) > proxy-env.
export function selectSandbox(request: SandboxRequest, probes: SandboxProbes): SandboxChoice {
  if (!SANDBOX_REQUESTS.includes(request)) {
    throw new SathosError(
      'USAGE',
      `unknown sandbox "${request}": use one of ${SANDBOX_REQUESTS.join(', ')}`,
    );
  }
  const route: NamespaceRoute | undefined =
    probes.namespace === undefined
      ? 'user-namespace'
      : probes.sudoNamespace === undefined
        ? 'sudo'
        : undefined;
  const noNamespace = `no network namespace: ${String(probes.namespace)}; not through sudo: ${String(probes.sudoNamespace)}`;
  if ((request === 'auto' || request === 'netns') && route !== undefined) {
    const note = route === 'sudo' ? SUDO_NETNS_NOTE : NETNS_NOTE;
    return { kind: 'netns', containment: 'pid-namespace', note, cgroupParent: undefined, route };
  }
  if (request === 'netns') {
    throw new SathosError(
      'USAGE',
      `a network namespace is not available here (${noNamespace}): allow unprivileged user namespaces, give this user passwordless sudo, or use sandbox "auto"`,
    );
  }
  const containment = containmentOf(probes.cgroupParent);
  const cgroupParent = probes.cgroupParent;
  if ((request === 'auto' || request === 'iptables') && probes.iptables === undefined) {
    return {
      kind: 'iptables',
      containment,
      note: iptablesNote(containment),
      cgroupParent,
      route: undefined,
    };
  }
  if (request === 'iptables') {
    throw new SathosError(
      'USAGE',
      `the iptables sandbox is not available (${String(probes.iptables)}): run the supervisor as root with iptables installed, or use sandbox "auto"`,
    );
  }
  const why =
    request === 'proxy-env'
      ? 'asked for by the caller'
      : `${noNamespace}; no iptables: ${String(probes.iptables)}`;
  return {
    kind: 'proxy-env',
    containment,
    note: proxyEnvNote(why, containment),
    cgroupParent,
    route: undefined,
  };
}
