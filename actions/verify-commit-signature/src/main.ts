// verify-commit-signature: decide the commits, verify each signature locally against the allowed
// signers, report them, and — only when every one verified — record the chain's source step through
// core's step service (a policy denial is recorded there and fails the step; docs/spec.md §5.2).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SathosError,
  StepDeniedError,
  assertRunCommitCovered,
  createBundleVerifier,
  describeCause,
  failureLines,
  isSathosError,
  recordSource as recordGenesis,
  verifyCommitsWithHead,
  type CoveredCommits,
  type Statement,
  type Trust,
} from '@sathos/core';
import { JsonlFileStore, openGitRepository } from '@sathos/node';
import {
  actionsIO,
  jobSigner,
  preflightSigning,
  readRunContext,
  runBinding,
  type ActionIO,
  type Env,
  type Fetch,
  type RunContext,
} from '@sathos/github';
import { planCommits, type CommitPlan } from './commits.js';
import { VERIFIER_ID, assertEmptyChain, writeGenesisCopy } from './genesis.js';
import type { RunInputs } from './inputs.js';
import { loadSigners, loadTrust, type LoadedSigners } from './signers.js';
import { sourcePosture } from './posture.js';
import { commitSummary } from './summary.js';

/** What run() talks to; tests hand in loopback servers and a recorder. */
export interface Runtime {
  readonly env: Env;
  readonly fetch: Fetch;
  readonly io: ActionIO;
}

export function defaultRuntime(): Runtime {
  return { env: process.env, fetch: globalThis.fetch, io: actionsIO() };
}

/** The one line a failed step shows. */
export function failureLine(error: unknown): string {
  return isSathosError(error)
    ? `${error.code}: ${error.line}`
    : `unexpected error: ${describeCause(error)}`;
}

type VerifyPlan = Extract<CommitPlan, { kind: 'verify' }>;

interface Prepared {
  readonly context: RunContext;
  readonly store: JsonlFileStore;
  readonly signers: LoadedSigners;
  readonly trust: Trust;
}

/** Verifies the plan's commits (and the head the run builds), reports them, fails on any rejection. */
async function verifySource(
  inputs: RunInputs,
  { io }: Runtime,
  p: Prepared,
  plan: VerifyPlan,
): Promise<CoveredCommits> {
  io.info(`verifying ${plan.description} against ${p.signers.source}`);
  const git = openGitRepository(inputs.repositoryPath);
  const covered = await verifyCommitsWithHead(
    { git, range: plan.range, policy: p.signers.policy, trust: p.trust, now: new Date() },
    plan.head,
  );
  const { result } = covered;
  const lines = [
    `Verified ${plan.description} against ${p.signers.source}.`,
    covered.note ?? result.reason,
  ];
  await io.summary(commitSummary({ verdicts: result.commits, lines }));
  if (!result.verified) {
    for (const v of result.commits.filter((c) => c.verdict !== 'verified')) {
      io.error(`commit ${v.commit}: ${v.reason}`, { title: 'Commit signature rejected' });
    }
    throw new SathosError('COMMIT_REJECTED', result.reason);
  }
  await assertRunCommitCovered(git, p.context.sha, covered.headId);
  return covered;
}

/** Records the source step through core's step service and writes the action's outputs. */
async function recordSource(
  inputs: RunInputs,
  runtime: Runtime,
  p: Prepared,
  covered: CoveredCommits,
  posture: readonly Statement[] = [],
): Promise<void> {
  const { io, env } = runtime;
  const { context, store } = p;
  const signer = await jobSigner(inputs.signing, {
    env,
    fetch: runtime.fetch,
    serverUrl: context.serverUrl,
  });
  // The genesis as `sathos verify-commits --chain` signs it too: core's recordSource.
  const { appended } = await recordGenesis(
    {
      run: runBinding(context),
      covered,
      verifier: VERIFIER_ID,
      evidence: posture,
      ...(p.signers.document === undefined ? {} : { policy: p.signers.document }),
    },
    { store, signer, trust: { checker: createBundleVerifier(p.trust) } },
  );
  const genesis = await writeGenesisCopy(
    appended,
    join(context.runnerTemp ?? tmpdir(), 'sathos'),
    store.location,
  );
  io.info(
    `source record sha256:${genesis.digest} signed by ${signer.description}, appended to ${store.location}`,
  );
  io.setOutput('verified-commits', JSON.stringify(covered.result.commits.map((v) => v.commit)));
  io.setOutput('genesis-record', genesis.path);
  io.setOutput('genesis-digest', `sha256:${genesis.digest}`);
}

async function verifyAndRecord(inputs: RunInputs, runtime: Runtime): Promise<void> {
  const { io, env } = runtime;
  preflightSigning(inputs.signing, env);
  const context = readRunContext(env);
  const store = new JsonlFileStore(inputs.chain);
  await assertEmptyChain(store);
  const api = { apiUrl: context.apiUrl, token: inputs.githubToken, fetch: runtime.fetch };
  const signers = await loadSigners(inputs.signers, api);
  const trust = await loadTrust(inputs.trustedRoot);
  const plan = await planCommits(inputs.commits, context, api);
  if (plan.kind === 'nothing') {
    io.notice(`${plan.reason}; no source record was written`);
    io.setOutput('verified-commits', '[]');
    return;
  }
  const prepared = { context, store, signers, trust };
  const covered = await verifySource(inputs, runtime, prepared, plan);
  const repoDir = inputs.repositoryPath;
  const posture = await sourcePosture(
    { repoDir, policy: signers.document, context, api },
    runtime.io,
  );
  await recordSource(inputs, runtime, prepared, covered, posture);
}

export async function run(inputs: RunInputs, runtime: Runtime = defaultRuntime()): Promise<void> {
  const { io } = runtime;
  const started = Date.now();
  try {
    await verifyAndRecord(inputs, runtime);
  } catch (error) {
    if (error instanceof StepDeniedError) {
      for (const line of failureLines(error.decision))
        io.error(line, { title: 'Policy denied the source step' });
    }
    io.setFailed(failureLine(error));
  } finally {
    io.info(`verify-commit-signature finished in ${Date.now() - started} ms`);
  }
}
