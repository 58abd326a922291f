// Which sandbox a step gets, from what the probes found: pure, so every rung of the ladder is
// tested on any machine. The probes (sandbox.ts) run the real thing once per process.
import { SathosError, type SandboxKind } from '@sathos/core';
import { containmentOf, type CgroupParent } from './cgroup-common.js';
import { CONTAINMENT_DESCRIPTIONS, type ContainmentKind } from './process-tree.js';

/** `auto` picks the strongest available; a named kind is required (its absence is an error). */
export type SandboxRequest = 'auto' | SandboxKind;

export interface SandboxChoice {
  readonly kind: SandboxKind;
  readonly containment: ContainmentKind;
  /** What this level sees and what it misses, for the report. */
  readonly note: string;
  /** Where step cgroups are created (proxy-env with cgroup containment, either version). */
  readonly cgroupParent: CgroupParent | undefined;
}

/** What the probes found: undefined where a level works, else why it does not. */
export interface SandboxProbes {
  readonly namespace: string | undefined;
  /**
   * Whether iptables owner/cgroup redirection could be set up (root and a working `iptables` or
   * `nft`). SATHOS does not implement that redirection yet, so a usable iptables is reported, never
   * chosen: the choice falls to proxy variables and the report says what was given up.
   */
  readonly iptables: string | undefined;
  readonly cgroupParent: CgroupParent | undefined;
}

export const NETNS_NOTE =
  'network namespace: the step has only loopback; its one way out is the gateway, through a relay ' +
  'on 127.0.0.1 inside the namespace and DNS on 127.0.0.1:53; a tool that ignores the proxy ' +
  'variables reaches nothing; the unix sockets under /run and /tmp when the step starts are ' +
  'covered, a unix socket elsewhere or created later stays reachable';

const IPTABLES_NOT_BUILT = 'SATHOS does not implement iptables redirection yet';

function iptablesStatus(probe: string | undefined): string {
  return probe === undefined
    ? `iptables: usable here, but ${IPTABLES_NOT_BUILT}`
    : `iptables: ${probe}`;
}

function proxyEnvNote(why: string, containment: ContainmentKind): string {
  return (
    `proxy variables only (${why}): tools that honour HTTP(S)_PROXY/ALL_PROXY were decided, ` +
    'tools that ignore them connected directly and went unseen; DNS was not decided; tree held by ' +
    CONTAINMENT_DESCRIPTIONS[containment]
  );
}

/** The sandbox for `request` given what the probes found; throws when a named level is missing. */
export function selectSandbox(request: SandboxRequest, probes: SandboxProbes): SandboxChoice {
  if (request === 'iptables') {
    throw new SathosError(
      'USAGE',
      `the iptables sandbox is not available (${iptablesStatus(probes.iptables)}): use sandbox "auto", "netns" or "proxy-env"`,
    );
  }
  if (request !== 'proxy-env' && probes.namespace === undefined) {
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
      `a network namespace is not available here (${String(probes.namespace)}): run as root, allow unprivileged user namespaces, or use sandbox "proxy-env"`,
    );
  }
  const containment = containmentOf(probes.cgroupParent);
  const why =
    request === 'proxy-env'
      ? 'asked for by the caller'
      : `no network namespace: ${String(probes.namespace)}; ${iptablesStatus(probes.iptables)}`;
  return {
    kind: 'proxy-env',
    containment,
    note: proxyEnvNote(why, containment),
    cgroupParent: probes.cgroupParent,
  };
}
