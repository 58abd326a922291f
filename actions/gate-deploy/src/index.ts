// The action's entry point: read and check every input with a small module graph, and only then
// load the gate. A step with an unusable input fails at once with the one line that says which;
// nothing is verified or requested, and the policy engine, Sigstore and the supervisor are never
// compiled.
import { startAction } from '@sathos/github';
import { readGateInputs } from './inputs.js';

await startAction(
  () => readGateInputs(process.env),
  async () => (await import('./main.js')).run,
);
