// The action's entry point: read the inputs once, then run. An input that cannot be read fails the
// step with the one line that says which.
import { actionsIO, attestFailureLine, readAttestInputs, type AttestInputs } from '@sathos/github';
import { run } from './main.js';

let inputs: AttestInputs | undefined;
try {
  inputs = readAttestInputs(process.env, { stage: 'build' });
} catch (error) {
  actionsIO().setFailed(attestFailureLine(error));
}
if (inputs !== undefined) await run(inputs);
