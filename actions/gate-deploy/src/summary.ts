// The job summary: on allow, what the decision relied on (every record, by stage and digest) and
// whether the deploy ran; on deny or failure, every reason — the rules that failed, or the one line
// that says why the chain could not be judged — and that no token was requested.
import type { GateResult } from '@sathos/core';
import type { JobSummary } from '@sathos/github';
import type { GateInputs } from './inputs.js';

export function allowedSummary(
  inputs: GateInputs,
  result: GateResult,
  deployed: string | undefined,
): JobSummary {
  const { relied, step } = result;
  return {
    heading: `SATHOS gate: deploy to ${inputs.environment} allowed`,
    lines: [
      `Chain of ${relied.records.length} records verified from commit ${relied.run.commit} under policy ${result.decision.policy.uri} (sha256:${result.decision.policy.digest.sha256}).`,
      `Decision record sha256:${step.appended.digest} (a SLSA verification summary, PASSED).`,
      deployed === undefined
        ? 'No deploy command was given: nothing was deployed and no token was requested.'
        : `Deployed with a token for audience ${inputs.audience}; terminal record ${deployed}.`,
    ],
    table: {
      header: ['stage', 'record', 'where'],
      rows: relied.records.map((r) => [r.stage, `sha256:${r.digest}`, r.where]),
    },
  };
}

export function deniedSummary(
  inputs: GateInputs,
  reasons: readonly string[],
  state: { readonly allowed: boolean; readonly recorded: boolean },
): JobSummary {
  if (state.allowed)
    return {
      heading: `SATHOS gate: deploy to ${inputs.environment} failed after the gate allowed it`,
      lines: [...reasons, 'The decision (allow) is in the chain; no deploy record was appended.'],
    };
  return {
    heading: `SATHOS gate: deploy to ${inputs.environment} denied`,
    lines: [
      ...reasons,
      state.recorded
        ? 'The denial is recorded in the chain (signed, decision deny); no later step accepts it.'
        : 'Nothing was appended to the chain.',
      'No token was requested and nothing was deployed.',
    ],
  };
}
