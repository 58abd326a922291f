// What every action's entry (actions/*/src/index.ts) needs before it loads the action itself:
// the one failure line and a way to fail the step. Kept to this small module graph on purpose — an
// entry reads and checks its inputs first, so a step with an unusable input fails at once, without
// compiling the policy engine, Sigstore or anything else it never reaches.
import { describeCause, isSathosError } from '@sathos/core';
import { actionsIO, type ActionIO } from './io.js';

/** The one line a failed step shows: the error's code and line, or what the unexpected cause was. */
export function stepFailureLine(error: unknown): string {
  return isSathosError(error)
    ? `${error.code}: ${error.line}`
    : `unexpected error: ${describeCause(error)}`;
}

/**
 * Runs an action: `read` reads and checks every input (throwing on the first unusable one), and
 * only then is `load` called for the action's run function. An input error fails the step with
 * its one line and loads nothing more; so does an action whose code cannot be loaded, or whose
 * run throws.
 */
export async function startAction<I>(
  read: () => I,
  load: () => Promise<(inputs: I) => Promise<void>>,
  io: Pick<ActionIO, 'setFailed'> = actionsIO(),
): Promise<void> {
  let inputs: I;
  try {
    inputs = read();
  } catch (error) {
    io.setFailed(stepFailureLine(error));
    return;
  }
  let run: (inputs: I) => Promise<void>;
  try {
    run = await load();
  } catch (error) {
    io.setFailed(
      `unexpected error: the action's code did not load (${describeCause(error)}); use the action from a released tag, whose dist/ is complete`,
    );
    return;
  }
  try {
    await run(inputs);
  } catch (error) {
    // Each action reports its own failures; one that escapes still fails the step in one line.
    io.setFailed(stepFailureLine(error));
  }
}
