// A sandbox made ready before the step is known. The caller prepares it first and then reads its
// policy and restores its baseline (for actions/guard, a cache round trip) while the ladder is
// probed and the namespace init boots — one Node start-up, most of the supervisor's own start-up —
// and hands it to supervise(), which then only sends the step. One step per preparation.
import { SathosError } from '@sathos/core';
import {
  chooseSandbox,
  type SandboxChoice,
  type SandboxProbers,
  type SandboxRequest,
} from './sandbox.js';
import { bootNamespace, type BootingNamespace, type StepOutput } from './step.js';

/** The sandbox chosen for a step, and its namespace's init when it is a namespace. */
export interface ReadySandbox {
  readonly choice: SandboxChoice;
  readonly booting: BootingNamespace | undefined;
}

/**
 * How supervise() takes a prepared sandbox over. A symbol the package does not export: a caller
 * cannot take the init and leave it to nobody (dispose() is a no-op once it is taken).
 */
export const TAKE_PREPARED: unique symbol = Symbol('sathos.takePrepared');

export interface PreparedSandbox {
  readonly request: SandboxRequest;
  readonly output: StepOutput;
  /** supervise() takes it, once: from then on the supervisor owns the init. */
  [TAKE_PREPARED](): Promise<ReadySandbox>;
  /** Ends the booted init when no step took it (the caller failed first); a no-op once taken. */
  dispose(): Promise<void>;
}

/** Chooses the sandbox and, for a namespace, starts its init now; the step follows in supervise(). */
export function prepareSandbox(
  request: SandboxRequest = 'auto',
  output: StepOutput = 'inherit',
  probers?: Partial<SandboxProbers>,
): PreparedSandbox {
  let state: 'waiting' | 'taken' | 'disposed' = 'waiting';
  const ready = chooseSandbox(request, probers).then((choice): ReadySandbox => ({
    choice,
    booting: choice.kind === 'netns' ? bootNamespace(output, choice.route) : undefined,
  }));
  // A probe that failed is reported by take(), to the supervisor that wanted the sandbox.
  ready.catch(() => undefined);
  return {
    request,
    output,
    [TAKE_PREPARED]: () => {
      if (state !== 'waiting') {
        return Promise.reject(
          new SathosError(
            'USAGE',
            `supervise: this prepared sandbox was ${state === 'taken' ? 'taken by another step' : 'disposed'}; prepare one for each step`,
          ),
        );
      }
      state = 'taken';
      return ready;
    },
    dispose: async () => {
      if (state !== 'waiting') return;
      state = 'disposed';
      const left = await ready.catch(() => undefined);
      await left?.booting?.abort();
    },
  };
}
