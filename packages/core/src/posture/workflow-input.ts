// The CEL variable `workflow` (docs/policy.md, "posture"): the posture model flattened for rules,
// e.g. `workflow.jobs.all(j, j.permissions['id-token'] != 'write' || j.environment != '')`.
import type { PostureFinding } from './findings.js';
import {
  isReleaseJob,
  jobHoldsPower,
  jobTriggers,
  PRIVILEGED_TRIGGERS,
  untrustedCheckouts,
} from './job-traits.js';
import type { LockComparison } from './lock.js';
import type { JobModel, PostureModel, UsesRef } from './model.js';
import { writeScopes } from './permissions.js';

function usesJson(u: UsesRef, line: number): Record<string, unknown> {
  return {
    uses: u.raw,
    kind: u.kind,
    repository: u.repository ?? '',
    path: u.path ?? '',
    ref: u.ref ?? '',
    firstParty: u.firstParty,
    pinned: u.pinned,
    workflow: u.workflow,
    line,
  };
}

function jobJson(model: PostureModel, job: JobModel): Record<string, unknown> {
  const triggers = jobTriggers(model, job);
  const uses = [
    ...(job.calls === undefined ? [] : [usesJson(job.calls, job.callsAt?.line ?? job.line)]),
    ...job.steps.flatMap((s) => (s.uses === undefined ? [] : [usesJson(s.uses, s.line)])),
  ];
  return {
    id: job.id,
    workflow: job.workflow,
    file: job.file,
    line: job.line,
    triggers,
    permissions: { ...job.permissions.scopes },
    permissionsSource: job.permissions.source,
    writes: writeScopes(job.permissions.scopes),
    secrets: [...job.secrets],
    environment: job.environment ?? '',
    runsOn: [...job.runsOn],
    selfHosted: job.selfHosted,
    privileged: triggers.some((t) => PRIVILEGED_TRIGGERS.has(t)),
    untrustedCheckout: untrustedCheckouts(job).length > 0,
    holdsPower: jobHoldsPower(job),
    release: isReleaseJob(job),
    uses,
  };
}

/** The `workflow` variable; `lock` is the comparison with the lock when one was read. */
export function workflowInput(
  model: PostureModel,
  findings: readonly PostureFinding[],
  lock?: LockComparison & { readonly present: boolean },
): Record<string, unknown> {
  return {
    repository: model.repository ?? '',
    commit: model.commit ?? '',
    files: model.files.map((f) => ({
      path: f.path,
      triggers: f.triggers.map((t) => t.event),
      reusable: f.reusable,
    })),
    triggers: [...new Set(model.files.flatMap((f) => f.triggers.map((t) => t.event)))].sort(),
    jobs: model.jobs.map((j) => jobJson(model, j)),
    actions: model.actions.map((a) => ({
      uses: a.uses,
      kind: a.kind,
      workflow: a.workflow,
      sha: a.sha ?? '',
      via: a.via ?? '',
      firstParty: a.firstParty,
      pinned: a.kind === 'sha' || a.kind === 'local' || a.kind === 'docker-digest',
    })),
    findings: findings.map((f) => ({ ...f })),
    lock:
      lock === undefined
        ? { present: false, matches: false, added: [], moved: [], unresolved: [], stale: [] }
        : {
            present: lock.present,
            matches: lock.matches,
            added: lock.added.map((a) => a.uses),
            moved: lock.moved.map((m) => m.uses),
            unresolved: [...lock.unresolved],
            stale: [...lock.stale],
          },
  };
}
