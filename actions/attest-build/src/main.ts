// attest-build: the build step of the chain. Its evidence is SLSA provenance shaped exactly as
// GitHub's (so `gh attestation verify` reads it), made from the job's OIDC claims that Fulcio
// certifies in every signature's certificate; signed with a key, nothing certifies those claims,
// so the provenance takes SATHOS's local build type and says so.
import { githubProvenance, localProvenance, type Statement, type Subject } from '@sathos/core';
import {
  commandsStopped,
  defaultAttestRuntime,
  runAttest,
  type AttestInputs,
  type AttestPlan,
  type AttestRuntime,
  type JobSigner,
  type RunContext,
} from '@sathos/github';
import { superviseScript, supervisorIsolation } from '@sathos/guard';

export const BUILDER_ID = 'https://github.com/sathos/sathos/actions/attest-build';

type Evidence = (subjects: readonly Subject[]) => readonly Statement[];

/** The provenance of each part of the build's subjects. */
function provenance(signer: JobSigner, context: RunContext): Evidence {
  const claims = signer.workflowClaims;
  if (claims !== undefined) return (part) => [githubProvenance(part, claims)];
  const build = {
    builderId: BUILDER_ID,
    source: { uri: `git+${context.serverUrl}/${context.repository}`, commit: context.sha },
  };
  return (part) => [localProvenance(part, build)];
}

export const buildPlan: AttestPlan = {
  needsWorkflowClaims: true,
  evidence: (signer, context) => Promise.resolve(provenance(signer, context)),
};

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
  await runAttest(inputs, runtime, buildPlan);
}
