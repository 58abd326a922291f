// verify-commit-signature: decide the commits, verify each signature locally against the allowed
// signers, report them, and — only when every one verified — sign the chain's source record.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JsonlFileStore,
  SathosError,
  describeCause,
  isSathosError,
  commitSignaturesEvidence,
  decideStep,
  decisionRef,
  failureLines,
  openGitRepository,
  parseCommit,
  signerFromActor,
  sourceSubjects,
  verifyCommits,
  type CommitsVerification,
  type GitObjects,
} from '@sathos/core';
import {
  actionsIO,
  jobSigner,
  preflightSigning,
  readRunContext,
  runBinding,
  type ActionIO,
  type Env,
  type Fetch,
} from '@sathos/github';
import { planCommits } from './commits.js';
import { VERIFIER_ID, appendGenesis, assertEmptyChain } from './genesis.js';
import type { RunInputs } from './inputs.js';
import { loadSigners, loadTrust } from './signers.js';
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

/** The run builds `head`: when the range did not include it (empty, or head outside it), verify it too. */
async function verifyWithHead(
  git: GitObjects,
  input: Omit<Parameters<typeof verifyCommits>[0], 'git'>,
  head: string,
): Promise<{ result: CommitsVerification; headId: string; note?: string }> {
  const [headId] = await git.resolveCommits([head]);
  if (headId === undefined) {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `commit ${head} is not in the repository; check out with fetch-depth: 0`,
    );
  }
  const result = await verifyCommits({ git, ...input });
  if (result.commits.some((v) => v.commit === headId)) return { result, headId };
  const alone = await verifyCommits({ git, ...input, range: { kind: 'list', commits: [headId] } });
  const commits = [...result.commits, ...alone.commits];
  return {
    headId,
    note: `${result.reason}; the run builds ${headId.slice(0, 12)}, so it was verified as well`,
    result: {
      commits,
      verified: commits.length > 0 && commits.every((v) => v.verdict === 'verified'),
      emptyRange: false,
      reason: result.emptyRange ? alone.reason : `${result.reason}; ${alone.reason}`,
    },
  };
}

/**
 * The genesis names the commit the run builds, so that commit must be the verified head, or — on a
 * pull request — GitHub's test merge of it: a two-parent merge whose second parent is the head (its
 * first is the base branch, already protected). Anything else would vouch for an unchecked commit.
 */
async function assertRunCommitCovered(
  git: GitObjects,
  runCommit: string,
  headId: string,
): Promise<void> {
  if (runCommit === headId) return;
  const [raw] = await git.readCommits([runCommit]).catch((cause: unknown) => {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `the run builds ${runCommit}, which is not in the repository; check out with fetch-depth: 0`,
      { cause },
    );
  });
  const parents = raw === undefined ? [] : parseCommit(raw.id, raw.raw).parents;
  if (parents.length !== 2 || parents[1] !== headId) {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `the run builds ${runCommit}, which is neither the verified head ${headId} nor GitHub's merge of it; verify the commit the run builds`,
    );
  }
}

export async function run(inputs: RunInputs, runtime: Runtime = defaultRuntime()): Promise<void> {
  const { io, env } = runtime;
  const started = Date.now();
  try {
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
    io.info(`verifying ${plan.description} against ${signers.source}`);
    const git = openGitRepository(inputs.repositoryPath);
    const verified = await verifyWithHead(
      git,
      { range: plan.range, policy: signers.policy, trust, now: new Date() },
      plan.head,
    );
    const { result } = verified;
    const lines = [
      `Verified ${plan.description} against ${signers.source}.`,
      verified.note ?? result.reason,
    ];
    await io.summary(commitSummary({ verdicts: result.commits, lines }));
    if (!result.verified) {
      for (const v of result.commits.filter((c) => c.verdict !== 'verified')) {
        io.error(`commit ${v.commit}: ${v.reason}`, { title: 'Commit signature rejected' });
      }
      throw new SathosError('COMMIT_REJECTED', result.reason);
    }
    const signer = await jobSigner(inputs.signing, {
      env,
      fetch: runtime.fetch,
      serverUrl: context.serverUrl,
    });
    await assertRunCommitCovered(git, context.sha, verified.headId);
    const run = runBinding(context);
    const subjects = sourceSubjects(context.repository, context.sha, verified.headId);
    const evidence = commitSignaturesEvidence({
      subjects,
      verdicts: result.commits,
      verifier: VERIFIER_ID,
    });
    // Under a policy, the source step is decided before it is signed, and the decision recorded.
    const decision =
      signers.document === undefined
        ? undefined
        : decideStep({
            policy: signers.document,
            chain: await store.read(),
            stage: 'source',
            run,
            identity: signerFromActor(signer.actor),
            subjects,
            evidence: [evidence],
            source: store.location,
          });
    if (decision !== undefined && !decision.allowed) {
      for (const line of failureLines(decision))
        io.error(line, { title: 'Policy denied the source step' });
      throw new SathosError(
        'POLICY_DENIED',
        `the policy denied the source step: ${failureLines(decision).join('; ')}`,
      );
    }
    const genesis = await appendGenesis({
      store,
      signer,
      run,
      subjects,
      evidence,
      ...(decision === undefined ? {} : { policy: decisionRef(decision) }),
      outDir: join(context.runnerTemp ?? tmpdir(), 'sathos'),
    });
    io.info(
      `source record sha256:${genesis.digest} signed by ${signer.description}, appended to ${store.location}`,
    );
    io.setOutput('verified-commits', JSON.stringify(result.commits.map((v) => v.commit)));
    io.setOutput('genesis-record', genesis.path);
    io.setOutput('genesis-digest', `sha256:${genesis.digest}`);
  } catch (error) {
    io.setFailed(failureLine(error));
  } finally {
    io.info(`verify-commit-signature finished in ${Date.now() - started} ms`);
  }
}
