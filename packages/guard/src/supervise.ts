// The step supervisor: runs one command as its own process tree inside the strongest sandbox the
// machine allows, with every connection it makes decided by the gateway; halts the whole tree on a
// `halt` verdict, past the deadline, or when the supervisor's own parts fail (fail closed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:os';
import {
  SathosError,
  type EgressAction,
  type EgressDecider,
  type EgressDecision,
  type SandboxKind,
} from '@sathos/core';
import { startGateway, type GatewayRefusal } from './gateway.js';
import type { ClientPorts } from './gateway-proxy.js';
import type { Resolver } from './hosts.js';
import type { GatewayLimits } from './limits.js';
import { launch } from './launch.js';
import { pidOfLoopbackClient, type ContainmentKind } from './process-tree.js';
import { prepareSandbox, TAKE_PREPARED, type PreparedSandbox } from './prepared-sandbox.js';
import type { SandboxProbers, SandboxRequest } from './sandbox.js';
import type { RunningStep, StepExit, StepOutput } from './step.js';

/** Why a step was halted: an egress verdict, its deadline, or the supervisor failing. */
export type HaltCause = 'egress' | 'deadline' | 'supervisor';

export interface Halt {
  readonly cause: HaltCause;
  readonly reason: string;
}

/** What the supervisor tells its caller while the step runs. */
export type SupervisorEvent =
  | {
      readonly kind: 'started';
      readonly pid: number;
      readonly sandbox: SandboxKind;
      readonly containment: ContainmentKind;
    }
  | { readonly kind: 'decision'; readonly decision: EgressDecision }
  | { readonly kind: 'refusal'; readonly refusal: GatewayRefusal }
  | { readonly kind: 'halting'; readonly halt: Halt }
  | {
      readonly kind: 'exited';
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
    };

export interface SuperviseOptions {
  readonly command: string;
  readonly args?: readonly string[];
  /** The step's environment (default: this process's); proxy variables are added, NO_PROXY removed. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly decide: EgressDecider;
  /** Halt the step once it has run this long (the baseline's deadline); none when absent. */
  readonly deadlineMs?: number;
  /** Between SIGTERM and SIGKILL on a halt (default 5000). */
  readonly graceMs?: number;
  /** Must not throw: a throw halts the step. */
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** Default `auto`: the strongest available. */
  readonly sandbox?: SandboxRequest;
  /**
   * Replaces some of the ladder's probes (tests: a refused user namespace, to reach a lower rung).
   * Not with `prepared`, whose sandbox is chosen already (prepareSandbox takes them).
   */
  readonly probers?: Partial<SandboxProbers>;
  /** Default `inherit`. */
  readonly output?: StepOutput;
  /** How the gateway resolves allowed names (default: the system resolver). */
  readonly resolve?: Resolver;
  readonly limits?: Partial<GatewayLimits>;
  /** Aborting it halts the step (cause `supervisor`): wire the caller's SIGINT/SIGTERM here. */
  readonly signal?: AbortSignal;
  /**
   * Halt the step (cause `egress`) at its first packet around the gateway, where the sandbox counts
   * them (iptables): what the policy's `halt` mode asks. Otherwise they are only reported.
   */
  readonly haltOnDirectEgress?: boolean;
  /**
   * The sandbox prepared beforehand (prepareSandbox: its init boots while the caller gets ready);
   * supervise takes it over. Its request and output are the step's: `sandbox` and `output`, if
   * given too, must be the same.
   */
  readonly prepared?: PreparedSandbox;
}

export interface SupervisionReport {
  /** The step's exit code; null when it ended by a signal or never reported one. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the step was halted; the step then counts as failed whatever its exit code. */
  readonly halted: Halt | undefined;
  /** From spawn to the step's end. */
  readonly durationMs: number;
  readonly deadlineMs: number | undefined;
  readonly sandbox: SandboxKind;
  /** What the sandbox saw and what it could not see. */
  readonly sandboxNote: string;
  readonly containment: ContainmentKind;
  readonly decisions: readonly EgressDecision[];
  /** Decisions past the log's bound, counted only. */
  readonly droppedDecisions: number;
  /** The same by action: any not `allow` is a finding the log could not itemize. */
  readonly droppedByAction: Readonly<Record<EgressAction, number>>;
  readonly refusals: readonly GatewayRefusal[];
  /**
   * Packets the sandbox rejected because they went around the gateway (the iptables level counts
   * them; absent elsewhere, where they are not counted): refused egress, a finding.
   */
  readonly directEgress?: number;
}

const DEFAULT_GRACE_MS = 5000;
/** The exit status a caller should end with: 1 when halted, 128+n for a signal, else the step's. */
export function exitStatusOf(report: SupervisionReport): number {
  if (report.halted !== undefined) return 1;
  if (report.signal !== null)
    return 128 + ((constants.signals[report.signal] as number | undefined) ?? 0);
  return report.exitCode ?? 1;
}

function usage(message: string): SathosError {
  return new SathosError('USAGE', message);
}

function checkOptions(options: SuperviseOptions): void {
  if (typeof options.command !== 'string' || options.command === '') {
    throw usage('supervise: command must be a non-empty string: name the program the step runs');
  }
  for (const [name, value] of [
    ['deadlineMs', options.deadlineMs],
    ['graceMs', options.graceMs],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw usage(`supervise: ${name} must be a whole number of milliseconds ≥ 0, got ${value}`);
    }
  }
  const { prepared } = options;
  if (prepared === undefined) return;
  if (options.sandbox !== undefined && options.sandbox !== prepared.request) {
    throw usage(
      `supervise: the prepared sandbox is "${prepared.request}", not the "${options.sandbox}" asked for: prepare the one the step needs`,
    );
  }
  if (options.output !== undefined && options.output !== prepared.output) {
    throw usage(
      'supervise: the prepared sandbox was made for another output: prepare it with the same',
    );
  }
  // The probes chose the prepared sandbox already: ones given here would be ignored, silently.
  if (options.probers !== undefined) {
    throw usage(
      'supervise: probers choose a sandbox, and the prepared one is chosen: give them to prepareSandbox',
    );
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Runs one supervised step to its end and reports what happened. */
export async function supervise(options: SuperviseOptions): Promise<SupervisionReport> {
  try {
    checkOptions(options);
  } catch (error) {
    await options.prepared?.dispose();
    throw error;
  }
  // Unprepared, the sandbox is prepared here: chosen, and a namespace's init starts up while the
  // gateway does. Its request and output are the step's on every rung: launch() reads the output
  // for a step outside a namespace (the CLI's --json prepares stderr and passes none of its own).
  const prepared =
    options.prepared ??
    prepareSandbox(options.sandbox ?? 'auto', options.output ?? 'inherit', options.probers);
  const stepOptions: SuperviseOptions = {
    ...options,
    sandbox: prepared.request,
    output: prepared.output,
  };
  const { choice, booting } = await prepared[TAKE_PREPARED]();
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const dir = await mkdtemp(join(tmpdir(), 'sathos-guard-')).catch(async (error: unknown) => {
    await booting?.abort();
    throw error;
  });
  let halted: Halt | undefined;
  let step: RunningStep | undefined;
  let ended = false;

  // SIGTERM to the whole tree, the grace period, then SIGKILL to whatever is left.
  const haltSequence = async (running: RunningStep): Promise<void> => {
    await running.signal('SIGTERM');
    const gone = await Promise.race([
      running.exited.then(() => true),
      sleep(graceMs).then(() => false),
    ]);
    if (!gone) await running.signal('SIGKILL');
  };
  const halt = (cause: HaltCause, reason: string): void => {
    // A halt verdict answered after the step's root exited (a request it sent just before, still
    // being decided) fails the step all the same; only the kill sequence is moot then (reap follows).
    if (halted !== undefined || (ended && cause !== 'egress')) return;
    halted = { cause, reason };
    emit({ kind: 'halting', halt: halted });
    if (ended) return;
    if (step !== undefined) void haltSequence(step);
    // Not running yet (an init that never came up): ending the namespace ends the wait for it.
    else void booting?.abort();
  };
  const emit = (event: SupervisorEvent): void => {
    try {
      options.onEvent?.(event);
    } catch (error) {
      halt(
        'supervisor',
        `the event listener threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  const gateway = await startGateway({
    decide: options.decide,
    onDecision: (decision) => {
      emit({ kind: 'decision', decision });
    },
    onRefusal: (refusal) => {
      emit({ kind: 'refusal', refusal });
    },
    onHalt: (reason) => {
      halt('egress', reason);
    },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
    ...(choice.kind === 'netns'
      ? { socketDir: dir }
      : {
          identify: async (client: ClientPorts) =>
            step === undefined || client.remotePort === undefined
              ? undefined
              : pidOfLoopbackClient(client.remotePort, client.localPort ?? 0, await step.members()),
        }),
  }).catch(async (error: unknown) => {
    await booting?.abort();
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  void gateway.failure.then((reason) => {
    halt('supervisor', reason);
  });
  const onAbort = (): void => {
    halt('supervisor', 'the supervisor was cancelled');
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const deadline =
    options.deadlineMs === undefined
      ? undefined
      : setTimeout(() => {
          halt('deadline', `the step ran past its deadline of ${options.deadlineMs} ms`);
        }, options.deadlineMs);
  const startedAt = performance.now();
  let exit: StepExit;
  let directEgress: number | undefined;
  try {
    step = await launch(
      choice,
      booting,
      gateway,
      dir,
      stepOptions,
      (packets) => {
        directEgress = packets;
      },
      options.haltOnDirectEgress === true
        ? (packets) => {
            halt('egress', `${packets} packet(s) went around the gateway, rejected by the sandbox`);
          }
        : undefined,
    );
    emit({ kind: 'started', pid: step.pid, sandbox: choice.kind, containment: step.containment });
    if (halted !== undefined) void haltSequence(step);
    exit = await step.exited;
    ended = true;
    if (exit.failure !== undefined && halted === undefined) {
      halted = { cause: 'supervisor', reason: exit.failure };
      emit({ kind: 'halting', halt: halted });
    }
  } finally {
    ended = true;
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    if (step === undefined) await booting?.abort();
    await step?.reap();
    // Fail closed: a tree the kill could not end fails the step, whatever it exited with.
    const leftover = await step?.leftover?.();
    if (leftover !== undefined && halted === undefined) {
      halted = { cause: 'supervisor', reason: leftover };
      emit({ kind: 'halting', halt: halted });
    }
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  }
  const durationMs = Math.round(performance.now() - startedAt);
  emit({ kind: 'exited', exitCode: exit.code, signal: exit.signal });
  return {
    exitCode: exit.code,
    signal: exit.signal,
    halted,
    durationMs,
    deadlineMs: options.deadlineMs,
    sandbox: choice.kind,
    sandboxNote: [choice.note, ...step.notes].join('; '),
    containment: step.containment,
    decisions: gateway.decisions,
    droppedDecisions: gateway.droppedDecisions,
    droppedByAction: { ...gateway.droppedByAction },
    refusals: gateway.refusals,
    ...(directEgress === undefined ? {} : { directEgress }),
  };
}
