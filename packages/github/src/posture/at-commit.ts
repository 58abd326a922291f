// The posture of one commit, decided: what a step that starts a chain needs (the source stage of
// verify-commit-signature). The workflows at the commit are read from git objects, modelled,
// judged by the policy's posture: section, and packed as the workflow-posture statement that joins
// the source record's evidence (docs/posture.md, docs/spec.md §8).
import type {
  Decision,
  LockComparison,
  Policy,
  PostureFinding,
  PostureModel,
  Statement,
} from '@sathos/core';
import {
  DEFAULT_LOCK_FILE,
  compareLock,
  evaluatePosture,
  parseLock,
  postureFindings,
  workflowPostureStatement,
} from '@sathos/core';
import type { GitHubApi } from '../rest.js';
import { collectPosture } from './collect.js';
import type { RepositorySource } from './git-source.js';
import { openGitSource } from './git-source.js';
import { githubResolver } from './resolve.js';

export interface PostureAtCommitInput {
  /** The repository's top directory. */
  readonly repoDir: string;
  /** The commit whose workflows are judged (the one the run builds). */
  readonly commit: string;
  /** The policy whose posture: section decides; without one the decision denies. */
  readonly policy: Policy;
  /** `owner/repo`: its owner's actions are first-party. */
  readonly repository?: string;
  /** Resolves remote actions and workflows to commits (and follows them); without it nothing remote is looked up. */
  readonly api?: GitHubApi;
  /** Who judged, recorded in the statement (e.g. the action's id). */
  readonly verifier: string;
}

export interface PostureAtCommit {
  /** The full commit id the files were read at. */
  readonly commit: string;
  readonly model: PostureModel;
  readonly findings: readonly PostureFinding[];
  /** The findings of the rules the policy's `posture.deny` names: each one fails the decision. */
  readonly denying: readonly PostureFinding[];
  /** The comparison with the lock the commit holds; absent when it holds none. */
  readonly lock?: LockComparison;
  readonly decision: Decision;
  /** The workflow-posture in-toto statement, decision included: evidence for the source record. */
  readonly statement: Statement;
}

/** The lock the policy names, read at the same commit and compared; undefined when the commit has none. */
export async function readPostureLock(
  source: RepositorySource,
  file: string,
  model: PostureModel,
): Promise<LockComparison | undefined> {
  const text = (await source.read([file])).get(file);
  return text === undefined
    ? undefined
    : compareLock(parseLock(text, `${file}@${source.commit}`), model);
}

/**
 * Reads, models and decides the workflows at `commit`. A malformed workflow (WORKFLOW_INVALID),
 * a missing commit (GIT_FAILED), a malformed lock or an API that cannot resolve an action throws:
 * the caller fails closed. A policy decision never throws; a denial is `decision.allowed === false`.
 */
export async function postureAtCommit(input: PostureAtCommitInput): Promise<PostureAtCommit> {
  const source = await openGitSource(input.repoDir, input.commit);
  try {
    const model = await collectPosture(source, {
      ...(input.repository === undefined ? {} : { repository: input.repository }),
      ...(input.api === undefined ? {} : { resolver: githubResolver(input.api) }),
    });
    const lockFile = input.policy.posture?.lockFile ?? DEFAULT_LOCK_FILE;
    const lock = await readPostureLock(source, lockFile, model);
    const findings = postureFindings(model);
    const withLock = lock === undefined ? {} : { lock };
    const decision = evaluatePosture(input.policy, { model, findings, ...withLock });
    const denied = new Set<string>(input.policy.posture?.deny ?? []);
    return {
      commit: source.commit,
      model,
      findings,
      denying: findings.filter((f) => denied.has(f.rule)),
      ...withLock,
      decision,
      statement: workflowPostureStatement({
        model,
        findings,
        ...withLock,
        decision,
        verifier: input.verifier,
      }),
    };
  } finally {
    source.close();
  }
}
