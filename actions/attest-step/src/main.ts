// attest-step: a test, scan, SBOM or custom step of the chain. Its evidence is what its reports
// say (evidence.ts); the policy's thresholds (failed tests allowed, severities that deny) decide
// the step over that evidence before it is signed.
import {
  commandsStopped,
  defaultAttestRuntime,
  runAttest,
  type AttestInputs,
  type AttestPlan,
  type AttestRuntime,
} from '@sathos/github';
import { superviseScript, supervisorIsolation } from '@sathos/guard';
import { stepEvidence } from './evidence.js';

export function stepPlan(inputs: AttestInputs): AttestPlan {
  return {
    needsWorkflowClaims: false,
    evidence: (_signer, context) => stepEvidence(inputs.evidence, context, inputs.workspace),
  };
}

export async function run(
  inputs: AttestInputs,
  // The run: input's command runs under the anomaly supervisor; its findings go into the record.
  runtime: AttestRuntime = {
    ...defaultAttestRuntime(),
    // Its output cannot issue workflow commands as this action (set its outputs, silence it).
    runCommand: commandsStopped(superviseScript),
    commandIsolation: supervisorIsolation,
  },
): Promise<void> {
  await runAttest(inputs, runtime, stepPlan(inputs));
}
