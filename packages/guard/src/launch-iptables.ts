// Starting a step on the iptables level: a fresh uid for it, the run's rules installed for that uid
// (the step does not start if they cannot be), the step under setpriv as that uid; at the end every
// process of the uid is killed before the rules go, and what they rejected is counted for the report.
import { SathosError } from '@sathos/core';
import type { Gateway } from './gateway.js';
import { installRules, type InstalledRules } from './iptables-sandbox.js';
import { freshStepUid, killUid, processesOfUid, stepIdentityArgs } from './iptables-step.js';
import { signalAll } from './process-tree.js';
import { startPlainStep, type PlainStepOptions, type RunningStep } from './step.js';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** What the rules' counters say, for the report. */
export function rejectedNote(counts: { attempts: number; packets: number }): string {
  const other = counts.packets === 0 ? '' : `, ${plural(counts.packets, 'other packet')} rejected`;
  return `${plural(counts.attempts, 'direct connection attempt')} refused (the sandbox cannot name their host)${other}`;
}

/** What the rules rejected, once the step is over: packets that went around the gateway. */
export type OnDirectEgress = (packets: number) => void;

/** How often the counters are read while the step runs, when its first direct packet matters. */
const DIRECT_POLL_MS = 1000;

/** Calls `onFirst` once, at the first rejected packet the counters show; returns a stop. */
function watchCounters(rules: InstalledRules, onFirst: OnDirectEgress): () => void {
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void rules
      .count()
      .then(({ attempts, packets }) => {
        if (stopped || attempts + packets === 0) return;
        stop();
        onFirst(attempts + packets);
      })
      .finally(() => {
        busy = false;
      });
  }, DIRECT_POLL_MS).unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}

/**
 * `onFirstDirectEgress` (the policy's mode is halt): the counters are polled while the step runs
 * and the first packet around the gateway is reported at once, so that the step is halted.
 */
export async function startIptablesStep(
  options: Omit<PlainStepOptions, 'wrapper'>,
  gateway: Pick<Gateway, 'proxyPort' | 'dnsPort'>,
  onDirectEgress: OnDirectEgress = () => undefined,
  onFirstDirectEgress?: OnDirectEgress,
): Promise<RunningStep> {
  const uid = await freshStepUid().catch((error: unknown) => {
    throw new SathosError(
      'SANDBOX_FAILED',
      `iptables sandbox: ${error instanceof Error ? error.message : String(error)}: the step did not run`,
    );
  });
  const rules = await installRules({ uid, proxyPort: gateway.proxyPort, dnsPort: gateway.dnsPort });
  let step: RunningStep;
  try {
    step = await startPlainStep({ ...options, wrapper: stepIdentityArgs(uid) });
  } catch (error) {
    await killUid(uid);
    await rules.remove();
    throw error;
  }
  const notes = [...step.notes, `the step ran as uid ${uid}, a uid of its own`];
  const stopWatching =
    onFirstDirectEgress === undefined ? () => undefined : watchCounters(rules, onFirstDirectEgress);
  return {
    pid: step.pid,
    containment: step.containment,
    notes,
    exited: step.exited,
    members: async () => [...new Set([...(await step.members()), ...(await processesOfUid(uid))])],
    signal: async (signal) => {
      await step.signal(signal);
      signalAll(await processesOfUid(uid), signal);
    },
    reap: async () => {
      stopWatching();
      await step.reap();
      // Rules removed while a process of the step lives would set it free: they stay instead, and
      // the next supervisor removes them once this one is gone.
      if (!(await killUid(uid))) {
        rules.keep();
        notes.push(
          `processes of uid ${uid} outlived every kill: its rules (chain ${rules.chain}) were left in place`,
        );
        return;
      }
      const rejected = await rules.remove();
      // Not only a note: refused egress is a finding the gate sees (core's direct-egress). Counters
      // that could not be read count as one packet: a run must not claim none it cannot show.
      const total = rejected.attempts + rejected.packets;
      onDirectEgress(rejected.unreadable ? Math.max(1, total) : total);
      notes.push(rejectedNote(rejected));
      if (rejected.unreadable)
        notes.push(
          "the rules' counters could not be read: direct egress is counted as at least one packet",
        );
    },
  };
}
