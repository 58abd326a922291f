// The iptables level's rules, as argument lists (pure): a chain of its own per run, in the filter
// table of both families and in IPv4's nat table, entered from OUTPUT for packets of the step's
// group only. IPv4 lets through the gateway's proxy port and its resolver on 127.0.0.1 (DNS to any
// server on port 53 is redirected there); everything else — IPv6 entirely — is rejected, a TCP
// connection attempt (SYN) by its own rule so that attempts are counted apart from other packets.

export type Family = 'iptables' | 'ip6tables';
export type Table = 'filter' | 'nat';

/** One run's chain: its name, the step's group, and the gateway's ports on 127.0.0.1. */
export interface RulePlan {
  readonly chain: string;
  readonly uid: number;
  readonly proxyPort: number;
  readonly dnsPort: number;
}

export interface RuleCommand {
  readonly family: Family;
  readonly args: readonly string[];
}

/** Every chain this code makes starts so: a chain with this prefix and no live owner is stale. */
export const CHAIN_PREFIX = 'SATHOS-';

/** Chain names: at most 28 characters (iptables' limit); `SATHOS-` + 3 base-36 fields fits. */
export function chainName(pid: number, startTime: string, serial: number): string {
  const name = `${CHAIN_PREFIX}${pid.toString(36)}-${BigInt(startTime).toString(36)}-${serial.toString(36)}`;
  if (name.length > 28) throw new Error(`chain name ${name} is longer than iptables allows`);
  return name;
}

/** The owner of a chain this code made: the pid and start time in its name, or undefined. */
export function chainOwner(chain: string): { pid: number; startTime: string } | undefined {
  const match = /^SATHOS-([0-9a-z]+)-([0-9a-z]+)-[0-9a-z]+$/.exec(chain);
  if (match === null) return undefined;
  const [, pid, start] = match;
  if (pid === undefined || start === undefined) return undefined;
  let startTime = 0n;
  for (const digit of start) startTime = startTime * 36n + BigInt(parseInt(digit, 36));
  return { pid: parseInt(pid, 36), startTime: startTime.toString() };
}

const WAIT = ['-w', '5'] as const;

function command(family: Family, table: Table, ...args: string[]): RuleCommand {
  return { family, args: [...WAIT, '-t', table, ...args] };
}

function port(value: number): string {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`not a port: ${value}`);
  }
  return String(value);
}

/** The jump from OUTPUT into the run's chain: only sockets of the step's user. */
export function jumpRule(plan: RulePlan): string[] {
  return ['OUTPUT', '-m', 'owner', '--uid-owner', String(plan.uid), '-j', plan.chain];
}

/** What installs the rules, in order: chains filled first, the jumps into them last. */
export function installCommands(plan: RulePlan): RuleCommand[] {
  const { chain } = plan;
  const proxy = port(plan.proxyPort);
  const dns = port(plan.dnsPort);
  const reject = (family: Family): RuleCommand[] => [
    command(
      family,
      'filter',
      '-A',
      chain,
      '-p',
      'tcp',
      '--syn',
      '-j',
      'REJECT',
      '--reject-with',
      'tcp-reset',
    ),
    command(family, 'filter', '-A', chain, '-j', 'REJECT'),
  ];
  // No `-o lo`: a DNS query redirected from another server still shows its first route's interface
  // here. 127.0.0.1 is delivered only locally, so the address and port say enough.
  const loopback = ['-d', '127.0.0.1'];
  return [
    command('iptables', 'filter', '-N', chain),
    command(
      'iptables',
      'filter',
      '-A',
      chain,
      ...loopback,
      '-p',
      'tcp',
      '--dport',
      proxy,
      '-j',
      'ACCEPT',
    ),
    command(
      'iptables',
      'filter',
      '-A',
      chain,
      ...loopback,
      '-p',
      'udp',
      '--dport',
      dns,
      '-j',
      'ACCEPT',
    ),
    ...reject('iptables'),
    command('ip6tables', 'filter', '-N', chain),
    ...reject('ip6tables'),
    command('iptables', 'nat', '-N', chain),
    command(
      'iptables',
      'nat',
      '-A',
      chain,
      '-p',
      'udp',
      '--dport',
      '53',
      '-j',
      'REDIRECT',
      '--to-ports',
      dns,
    ),
    command('iptables', 'nat', '-I', ...jumpRule(plan)),
    command('ip6tables', 'filter', '-I', ...jumpRule(plan)),
    command('iptables', 'filter', '-I', ...jumpRule(plan)),
  ];
}

/** Where a run's chains live: one in each of these. */
export const CHAIN_PLACES: readonly (readonly [Family, Table])[] = [
  ['iptables', 'filter'],
  ['ip6tables', 'filter'],
  ['iptables', 'nat'],
];

/** Lists a table's rules (`-S`): to find the jumps into a chain, and chains by name. */
export function listCommand(family: Family, table: Table): RuleCommand {
  return command(family, table, '-S');
}

/** The chain names a `-S` listing defines with our prefix. */
export function ourChains(listing: string): string[] {
  return listing
    .split('\n')
    .map((line) => /^-N (SATHOS-[0-9a-z-]+)$/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Deletes every OUTPUT rule of a `-S` listing that jumps to `chain`, then empties and drops it. */
export function removeCommands(
  family: Family,
  table: Table,
  chain: string,
  listing: string,
): RuleCommand[] {
  const jumps = listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words[0] === '-A' && words[1] === 'OUTPUT' && words.at(-1) === chain)
    .map((words) => command(family, table, '-D', ...words.slice(1)));
  const defined = ourChains(listing).includes(chain);
  return defined
    ? [...jumps, command(family, table, '-F', chain), command(family, table, '-X', chain)]
    : jumps;
}

/** The uid a listing's OUTPUT jump into `chain` matches on, or undefined. */
export function jumpUid(listing: string, chain: string): number | undefined {
  for (const line of listing.split('\n')) {
    const match = /^-A OUTPUT -m owner --uid-owner ([0-9]+) -j (\S+)$/.exec(line.trim());
    if (match?.[2] === chain) return Number(match[1]);
  }
  return undefined;
}

/** Lists a chain's rules with exact packet counters. */
export function countersCommand(family: Family, chain: string): RuleCommand {
  return command(family, 'filter', '-L', chain, '-n', '-v', '-x');
}

/** What the REJECT rules of a `-L -v -x` listing counted: TCP connection attempts, other packets. */
export function rejectedCounts(listing: string): { attempts: number; packets: number } {
  let attempts = 0;
  let packets = 0;
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[2] !== 'REJECT') continue;
    const count = Number(words[0]);
    if (!Number.isSafeInteger(count)) continue;
    // The SYN rule shows its match as `tcp flags:0x17/0x02`.
    if (line.includes('flags:0x17/0x02')) attempts += count;
    else packets += count;
  }
  return { attempts, packets };
}
