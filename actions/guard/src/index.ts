// The action's entry point: read the inputs once, then run. An input that cannot be read fails the
// step with the one line that says which.
import { actionsIO } from '@sathos/github';
import { readGuardInputs, type GuardInputs } from './inputs.js';
import { failureLine, run } from './main.js';

let inputs: GuardInputs | undefined;
try {
  inputs = readGuardInputs(process.env);
} catch (error) {
  actionsIO().setFailed(failureLine(error));
}
if (inputs !== undefined) await run(inputs);
