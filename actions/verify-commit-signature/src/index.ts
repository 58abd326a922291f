// The action's entry point: read and check every input with a small module graph, and only then
// load the action itself. A step with an unusable input fails at once with the one line that says
// which, without compiling the policy engine, Sigstore or anything else it would never reach.
import { startAction } from '@sathos/github';
import { readRunInputs } from './inputs.js';

await startAction(
  () => readRunInputs(process.env),
  async () => (await import('./main.js')).run,
);
