// Installing and removing one run's iptables chains, on every exit path: after the step (with the
// rejected packets counted), on the process's exit and on SIGTERM/SIGINT when no one else handles
// them (synchronously, the last chance), and at the next start for a run that was SIGKILLed — a
// chain whose owner (pid and start time in its name) is gone is removed before anything else.
// While a stale chain exists its user stays confined: leaving one behind fails closed.
import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { SathosError } from '@sathos/core';
import {
  CHAIN_PLACES,
  chainName,
  chainOwner,
  countersCommand,
  installCommands,
  jumpUid,
  listCommand,
  ourChains,
  rejectedCounts,
  removeCommands,
  type RuleCommand,
  type RulePlan,
} from './iptables-rules.js';
import { killUid, killUidSync } from './iptables-step.js';

const COMMAND_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

function run(rule: RuleCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      rule.family,
      [...rule.args],
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else
          reject(
            new Error(`${rule.family} ${rule.args.join(' ')}: ${stderr.trim() || error.message}`),
          );
      },
    );
  });
}

function runSync(rule: RuleCommand): string {
  try {
    return execFileSync(rule.family, [...rule.args], {
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: MAX_OUTPUT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return '';
  }
}

/** When a process started (/proc/<pid>/stat field 22), or undefined once it is gone. */
export async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function removeChain(chain: string): Promise<void> {
  for (const [family, table] of CHAIN_PLACES) {
    const listing = await run(listCommand(family, table)).catch(() => '');
    for (const rule of removeCommands(family, table, chain, listing)) {
      await run(rule).catch(() => undefined);
    }
  }
}

function removeChainSync(chain: string): void {
  for (const [family, table] of CHAIN_PLACES) {
    const listing = runSync(listCommand(family, table));
    for (const rule of removeCommands(family, table, chain, listing)) runSync(rule);
  }
}

/**
 * Removes the chains of runs whose supervisor is gone (SIGKILLed, crashed), after killing what is
 * left of their steps (the uid their jump matches): removing the rules first would set it free.
 */
export async function removeStaleChains(): Promise<string[]> {
  const names = new Set<string>();
  let filter = '';
  for (const [family, table] of CHAIN_PLACES) {
    const listing = await run(listCommand(family, table));
    if (family === 'iptables' && table === 'filter') filter = listing;
    for (const name of ourChains(listing)) names.add(name);
  }
  const stale: string[] = [];
  for (const name of names) {
    const owner = chainOwner(name);
    if (owner !== undefined && (await startTimeOf(owner.pid)) === owner.startTime) continue;
    const uid = jumpUid(filter, name);
    // Survivors keep the chain (and stay confined); the next start tries again.
    if (uid !== undefined && !(await killUid(uid))) continue;
    await removeChain(name);
    stale.push(name);
  }
  return stale;
}

// The chains this process has installed and not yet removed, with their steps' uids, for the exit
// hooks: each step's processes are killed before its rules go.
const live = new Map<string, number>();
let serial = 0;

function cleanUpNow(): void {
  for (const [chain, uid] of live) {
    killUidSync(uid);
    removeChainSync(chain);
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles it (a caller turning it into an abort): the normal path removes the rules.
  if (process.listenerCount(signal) > 1) return;
  cleanUpNow();
  detachHooks();
  process.kill(process.pid, signal);
}

const hooks = {
  SIGTERM: () => {
    onSignal('SIGTERM');
  },
  SIGINT: () => {
    onSignal('SIGINT');
  },
};

function attachHooks(): void {
  process.on('exit', cleanUpNow);
  process.on('SIGTERM', hooks.SIGTERM);
  process.on('SIGINT', hooks.SIGINT);
}

function detachHooks(): void {
  process.off('exit', cleanUpNow);
  process.off('SIGTERM', hooks.SIGTERM);
  process.off('SIGINT', hooks.SIGINT);
}

/** Installed rules for one run: remove them once, learning what they rejected. */
export interface InstalledRules {
  readonly chain: string;
  remove(): Promise<RejectedCounts>;
  /** What the rules rejected so far, leaving them in place (nothing once removed). */
  count(): Promise<RejectedCounts>;
  /** Leaves the rules in place, also at exit: a later supervisor removes them as stale. */
  keep(): void;
}

function failed(message: string, cause?: unknown): SathosError {
  return new SathosError('SANDBOX_FAILED', message, { cause });
}

/** Installs a run's rules for the step's user; throws (having removed any part) if any fails. */
export async function installRules(ports: Omit<RulePlan, 'chain'>): Promise<InstalledRules> {
  const startTime = await startTimeOf(process.pid);
  if (startTime === undefined) throw failed('iptables sandbox: /proc/self/stat is unreadable');
  const chain = chainName(process.pid, startTime, serial++);
  try {
    await removeStaleChains();
  } catch (error) {
    throw failed(
      `iptables sandbox: the rules could not be listed (${error instanceof Error ? error.message : String(error)}): the step did not run`,
      error,
    );
  }
  if (live.size === 0) attachHooks();
  live.set(chain, ports.uid);
  const plan: RulePlan = { ...ports, chain };
  try {
    for (const rule of installCommands(plan)) await run(rule);
  } catch (error) {
    await release(chain);
    throw failed(
      `iptables sandbox: a rule could not be installed (${error instanceof Error ? error.message : String(error)}): the step did not run; use sandbox "auto" on a machine with iptables' owner, REJECT and REDIRECT support`,
      error,
    );
  }
  let removed: Promise<RejectedCounts> | undefined;
  return {
    chain,
    remove: () => (removed ??= countAndRelease(chain)),
    count: () => countRejected(chain),
    keep: () => {
      live.delete(chain);
      if (live.size === 0) detachHooks();
    },
  };
}

async function release(chain: string): Promise<void> {
  await removeChain(chain);
  live.delete(chain);
  if (live.size === 0) detachHooks();
}

/** What the rules rejected; `unreadable` when a family's counters could not be listed. */
export interface RejectedCounts {
  readonly attempts: number;
  readonly packets: number;
  readonly unreadable: boolean;
}

async function countRejected(chain: string): Promise<RejectedCounts> {
  let attempts = 0;
  let packets = 0;
  let unreadable = false;
  for (const family of ['iptables', 'ip6tables'] as const) {
    const listing = await run(countersCommand(family, chain)).catch(() => undefined);
    // A listing that failed must not read as "nothing rejected": the caller fails closed on it.
    if (listing === undefined) {
      unreadable = true;
      continue;
    }
    const counts = rejectedCounts(listing);
    attempts += counts.attempts;
    packets += counts.packets;
  }
  return { attempts, packets, unreadable };
}

async function countAndRelease(chain: string): Promise<RejectedCounts> {
  const total = await countRejected(chain);
  await release(chain);
  return total;
}
