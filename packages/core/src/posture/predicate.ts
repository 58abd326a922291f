// The posture as evidence: an in-toto statement about the verified commit, kept in the chain beside
// the source record, so a verifier sees what the workflows could do when the pipeline ran.
import type { Statement } from '../attestation/record/statement.js';
import { STATEMENT_TYPE } from '../attestation/record/statement.js';
import { WORKFLOW_POSTURE_V1 } from '../attestation/evidence/predicates.js';
import type { Decision } from '../policy/evaluate/decision.js';
import type { PostureFinding } from './findings.js';
import type { LockComparison } from './lock.js';
import type { PostureModel } from './model.js';
import { workflowInput } from './workflow-input.js';

export interface PostureEvidence {
  readonly model: PostureModel;
  readonly findings: readonly PostureFinding[];
  readonly lock?: LockComparison;
  readonly decision?: Decision;
  /** Who produced it, e.g. `sathos posture 0.1.0`. */
  readonly verifier: string;
}

/** The statement; its subject is the commit the workflows were read at. */
export function workflowPostureStatement(e: PostureEvidence): Statement {
  const input = workflowInput(
    e.model,
    e.findings,
    e.lock === undefined ? undefined : { ...e.lock, present: true },
  );
  const repository = e.model.repository ?? '';
  return {
    _type: STATEMENT_TYPE,
    subject: [
      {
        ...(repository === '' ? {} : { uri: `git+https://github.com/${repository}` }),
        digest: { gitCommit: e.model.commit ?? '' },
      },
    ],
    predicateType: WORKFLOW_POSTURE_V1,
    predicate: {
      verifier: e.verifier,
      ...input,
      files: e.model.files.map((f) => ({
        path: f.path,
        digest: { sha256: f.sha256 },
        triggers: f.triggers.map((t) => t.event),
        reusable: f.reusable,
      })),
      ...(e.decision === undefined
        ? {}
        : {
            decision: {
              allowed: e.decision.allowed,
              policy: e.decision.policy,
              failed: e.decision.results.filter((r) => !r.passed).map((r) => r.id),
            },
          }),
    },
  };
}
