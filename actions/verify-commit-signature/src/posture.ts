// The workflow posture at the source stage (docs/posture.md): when the policy has a posture:
// section, the workflows of the commit the run builds are judged before the source record is
// signed, and the workflow-posture statement joins the record's evidence. The policy's built-in
// sathos:posture check reads it there: a denied posture denies the source step, which is recorded
// (decision deny) and fails, so a pipeline whose own definition breaks least privilege stops
// before it builds.
import { failureLines, type Policy, type PostureFinding, type Statement } from '@sathos/core';
import type { ActionIO, GitHubApi, JobSummary, RunContext } from '@sathos/github';
import { postureAtCommit, type PostureAtCommit } from '@sathos/github/posture';
import { VERIFIER_ID } from './genesis.js';

/** Findings annotated one by one (GitHub shows only the first few per step anyway). */
export const MAX_FINDING_ANNOTATIONS = 20;
/** Rows of the summary's findings table. */
export const MAX_SUMMARY_FINDINGS = 200;

const TITLE = 'Workflow posture denied the source step';

export interface SourcePostureInput {
  readonly repoDir: string;
  /** The policy the signers came from; without a posture: section nothing is judged. */
  readonly policy: Policy | undefined;
  readonly context: RunContext;
  /** The run's API: remote actions are resolved to commits and followed through it. */
  readonly api: GitHubApi;
}

function postureSummary(judged: PostureAtCommit, policyUri: string): JobSummary {
  const { findings, decision } = judged;
  const verdict = decision.allowed ? 'allowed' : 'denied';
  const shown = findings.slice(0, MAX_SUMMARY_FINDINGS);
  return {
    heading: `Workflow posture: ${verdict}, ${findings.length} finding(s)`,
    lines: [
      `The workflows at ${judged.commit} are ${verdict} by the posture: section of ${policyUri}.`,
      ...failureLines(decision).map((l) => `denied: ${l}`),
      ...(shown.length < findings.length
        ? [`the first ${shown.length} of ${findings.length} findings:`]
        : []),
    ],
    table: {
      header: ['location', 'job', 'rule', 'fix'],
      rows: shown.map((f) => [`${f.file}:${f.line}`, f.job, `${f.rule} (${f.severity})`, f.fix]),
    },
  };
}

function annotate(io: ActionIO, findings: readonly PostureFinding[]): void {
  for (const f of findings.slice(0, MAX_FINDING_ANNOTATIONS))
    io.error(`${f.rule} in job ${f.job}: ${f.message}; ${f.fix}`, {
      title: TITLE,
      file: f.file,
      startLine: f.line,
    });
  if (findings.length > MAX_FINDING_ANNOTATIONS)
    io.info(
      `${findings.length - MAX_FINDING_ANNOTATIONS} more denying findings in the job summary`,
    );
}

/**
 * The evidence the source record gains: the workflow-posture statement when the policy has a
 * posture: section (nothing otherwise). A denied posture is annotated here, finding by finding at
 * its file and line; the step service then denies the step over the statement.
 */
export async function sourcePosture(input: SourcePostureInput, io: ActionIO): Promise<Statement[]> {
  const { policy, context } = input;
  if (policy?.posture === undefined) return [];
  io.info(`judging the workflows at ${context.sha} under the posture: section of ${policy.uri}`);
  const judged = await postureAtCommit({
    repoDir: input.repoDir,
    commit: context.sha,
    policy,
    repository: context.repository,
    api: input.api,
    verifier: VERIFIER_ID,
  });
  await io.summary(postureSummary(judged, policy.uri));
  if (judged.decision.allowed) {
    io.info(`workflow posture allowed: ${judged.findings.length} finding(s), none denied`);
  } else {
    annotate(io, judged.denying);
    for (const line of failureLines(judged.decision)) io.error(line, { title: TITLE });
  }
  return [judged.statement];
}
