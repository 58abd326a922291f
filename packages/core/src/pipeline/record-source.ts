// The chain's first record, as every producer writes it (the verify-commit-signature action, `sathos
// verify-commits --chain`): the source stage, about the commit the run builds (and the verified
// head when that is GitHub's test merge of it), with every commit's verified signature as evidence,
// decided under the policy and appended through the step service. Only a verified range gets here.
import { SathosError } from '../errors.js';
import {
  commitSignaturesEvidence,
  sourceSubjects,
} from '../attestation/evidence/commit-signatures-statement.js';
import type { RunBinding } from '../attestation/record/transition.js';
import type { Statement } from '../attestation/record/statement.js';
import type { Policy } from '../policy/document/document.js';
import type { CoveredCommits } from './commit-coverage.js';
import type { StepPorts, StepResult } from './record-step.js';
import { recordStep } from './record-step.js';

export interface RecordSourceInput {
  /** The run; its `commit` is what the run builds, its `repository` names the subjects. */
  readonly run: RunBinding;
  /** The verified range, with the head the run builds from. */
  readonly covered: CoveredCommits;
  /** Who verified the commits: the action's or the CLI's URI. */
  readonly verifier: string;
  /** Further evidence of the source step (the workflows' posture). */
  readonly evidence?: readonly Statement[];
  readonly policy?: Policy;
}

/** Records the genesis; a chain that already holds anything is refused (USAGE), nothing appended. */
export async function recordSource(
  input: RecordSourceInput,
  ports: StepPorts,
): Promise<StepResult> {
  const held = (await ports.store.read()).length;
  if (held > 0) {
    throw new SathosError(
      'USAGE',
      `the chain already holds ${held} bundle(s); the source record starts a chain, so give a new chain path`,
      { where: ports.store.location },
    );
  }
  const subjects = sourceSubjects(input.run.repository, input.run.commit, input.covered.headId);
  const signatures = commitSignaturesEvidence({
    subjects,
    verdicts: input.covered.result.commits,
    verifier: input.verifier,
  });
  return recordStep(
    {
      stage: 'source',
      subjects,
      run: input.run,
      evidence: [signatures, ...(input.evidence ?? [])],
      ...(input.policy === undefined ? {} : { policy: input.policy }),
    },
    ports,
  );
}
