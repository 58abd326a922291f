// The action's entry point: read the inputs once, then run. An input that cannot be read fails the
// step with the one line that says which.
import { actionsIO } from '@sathos/github';
import { readRunInputs, type RunInputs } from './inputs.js';
import { failureLine, run } from './main.js';

let inputs: RunInputs | undefined;
try {
  inputs = readRunInputs(process.env);
} catch (error) {
  actionsIO().setFailed(failureLine(error));
}
if (inputs !== undefined) await run(inputs);
