// What every action's entry (actions/*/src/index.ts) needs before it loads the action itself:
// the one failure line and a way to fail the step. Kept to this small module graph on purpose — an
// entry reads and checks its inputs first, so a step with an unusable input fails at once, without
// compiling the policy engine, Sigstore or anything else it never reaches.
import { describeCause, isSathosError } from '@sathos/core';
import { actionsIO } from './io.js';

/** The one line a failed step shows: the error's code and line, or what the unexpected cause was. */
export function stepFailureLine(error: unknown): string {
  return isSathosError(error)
    ? `${error.code}: ${error.line}`
    : `unexpected error: ${describeCause(error)}`;
}

/**
 * Runs an action: `read` reads and checks every input (throwing on the first unusable one), and
 * only then is `load` called for the action's run function. An input error fails the step with
 * its one line and loads nothing more.
 */
export async function startAction<I>(
  read: () => I,
  load: () => Promise<(inputs: I) => Promise<void>>,
  line: (error: unknown) => string = stepFailureLine,
): Promise<void> {
  let inputs: I;
  try {
    inputs = read();
  } catch (error) {
    actionsIO().setFailed(line(error));
    return;
  }
  const run = await load();
  await run(inputs);
}
