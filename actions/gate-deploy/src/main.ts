// gate-deploy: core's gateDeploy verifies the complete chain, decides the environment and signs the
// decision; only when it returned (allow) is a token requested for the environment's audience and
// handed to the deploy command alone, and core's recordDeploy appends the terminal record. Every
// other path — bad input, a chain that does not verify, a deny — fails the step with its reasons
// in the job summary, and no token is ever requested.
import { createPublicKey } from 'node:crypto';
import {
  SathosError,
  StepDeniedError,
  failureLines,
  gateDeploy,
  keyTrust,
  parsePublicKeys,
  recordDeploy,
  rootChoosingVerifier,
  type Approval,
  type ArtifactInput,
  type ChainStore,
  type Policy,
} from '@sathos/core';
import {
  assertCommandIsolated,
  assertCommandSucceeded,
  assertIdTokenAvailable,
  attestFailureLine,
  environmentApprovals,
  jobSigner,
  listPullRequestCommits,
  loadAttestTrust,
  pullRequestApprovals,
  readInputFile,
  readPolicyInput,
  readRunContext,
  readVisibility,
  requestIdToken,
  resolveSigning,
  runBinding,
  type ActionIO,
  type CommandIsolation,
  type CommandRunner,
  type Env,
  type Fetch,
  type GitHubApi,
  type RunContext,
  RUNNER_FILE_VARIABLES,
  withRunnerFilesKept,
} from '@sathos/github';
import type { GateInputs } from './inputs.js';
import { runtime } from './runtime.js';
import { deniedSummary, allowedSummary } from './summary.js';

export const GATE_VERIFIER_ID = 'https://sathos.dev/verifier/gate-deploy@0.1.0';

/** What the gate talks to; tests hand in loopback servers and a recorder. */
export interface GateRuntime {
  readonly env: Env;
  readonly fetch: Fetch;
  readonly io: ActionIO;
  readonly openChain: (path: string) => ChainStore;
  readonly hashArtifacts: (paths: readonly string[], workspace: string) => Promise<ArtifactInput[]>;
  readonly runDeploy: CommandRunner;
  /**
   * Why the deploy command could reach into the gate's process (and so read its signing key and
   * the runner's token-request credentials), or undefined when it cannot. Asked before any token.
   */
  readonly deployIsolation: CommandIsolation;
  /** Masks a secret in the log (`::add-mask::`). */
  readonly mask: (secret: string) => void;
  readonly now: () => Date;
}

/**
 * The deploy command's environment: the runner's, without this action's inputs (a signing key, a
 * token) or the means to mint other OIDC tokens, plus the one token the gate requested.
 */
export function deployEnvironment(env: Env, token: string, inputs: GateInputs): Env {
  const kept = Object.entries(env).filter(
    ([name]) =>
      !name.startsWith('INPUT_') &&
      name !== 'ACTIONS_ID_TOKEN_REQUEST_URL' &&
      name !== 'ACTIONS_ID_TOKEN_REQUEST_TOKEN' &&
      name !== 'ACTIONS_RUNTIME_TOKEN' &&
      // Nor the runner's files: a line in GITHUB_ENV would hand the token to the job's later steps.
      !(RUNNER_FILE_VARIABLES as readonly string[]).includes(name),
  );
  return {
    ...Object.fromEntries(kept),
    SATHOS_DEPLOY_TOKEN: token,
    SATHOS_DEPLOY_AUDIENCE: inputs.audience,
    SATHOS_ENVIRONMENT: inputs.environment,
  };
}

/**
 * Approvals by the run's actor or the one who triggered it (e.g. a re-run) are not counted: a
 * required approval is someone else's consent, and GitHub lets a required reviewer approve their
 * own deployment unless "prevent self-review" is set. Logins compare case-insensitively.
 */
export function othersApprovals(approvals: readonly Approval[], env: Env): Approval[] {
  const self = [env.GITHUB_ACTOR, env.GITHUB_TRIGGERING_ACTOR]
    .map((login) => login?.trim().toLowerCase() ?? '')
    .filter((login) => login !== '');
  return approvals.filter((a) => !self.includes(a.by.toLowerCase()));
}

/** The approvals the environment requires, from where the inputs say; none asked, none read. */
async function approvalsFor(
  inputs: GateInputs,
  policy: Policy,
  api: GitHubApi,
  context: RunContext,
  env: Env,
): Promise<Approval[]> {
  const demanded = Object.hasOwn(policy.environments, inputs.environment)
    ? policy.environments[inputs.environment]?.gate.approvals
    : undefined;
  if (demanded === undefined || inputs.approvals.kind === 'none') return [];
  if (inputs.approvals.kind === 'environment')
    return othersApprovals(
      await environmentApprovals(api, context.repository, context.runId, inputs.environment),
      env,
    );
  const commits = await listPullRequestCommits(api, context.repository, inputs.approvals.number);
  const head = commits.at(-1);
  if (head === undefined)
    throw new SathosError('USAGE', `pull request #${inputs.approvals.number} has no commits`);
  // Reviews approve a commit: only those of the commit this run deploys are consent to deploy it
  // (else any approved pull request, whatever it changed, would approve any commit).
  if (head !== context.sha)
    throw new SathosError(
      'USAGE',
      `pull request #${inputs.approvals.number}'s head is ${head.slice(0, 12)}, but this run deploys ${context.sha.slice(0, 12)}: its reviews did not approve what deploys; gate the pull request's head commit, or use approvals: environment`,
    );
  return othersApprovals(
    await pullRequestApprovals(api, context.repository, inputs.approvals.number, head),
    env,
  );
}

async function verifyKeys(paths: readonly string[]) {
  const keys = await Promise.all(
    paths.map(async (p) => parsePublicKeys(await readInputFile(p, 'verify-keys', 64 * 1024), p)),
  );
  return keys.flat();
}

/** How far the gate got: a failure after the allow is a failed deploy, not a deny. */
interface Progress {
  allowed: boolean;
}

async function gate(inputs: GateInputs, runtime: GateRuntime, progress: Progress): Promise<void> {
  const { env, io } = runtime;
  // Preflight: a keyless signer or a deploy token needs id-token: write; say so before any work.
  if (inputs.signing.kind !== 'key' || inputs.run !== undefined) assertIdTokenAvailable(env);
  if (inputs.run !== undefined)
    await assertCommandIsolated(
      runtime.deployIsolation,
      "the gate's signing key and token-request credentials",
    );
  const context = readRunContext(env);
  const api = { apiUrl: context.apiUrl, token: inputs.githubToken, fetch: runtime.fetch };
  const policy = await readPolicyInput(inputs.policy, api);
  const resolved = resolveSigning(inputs.signing, await readVisibility(context.eventPath));
  io.info(`signing: ${resolved.reason}`);
  const signer = await jobSigner(resolved.choice, {
    env,
    fetch: runtime.fetch,
    serverUrl: context.serverUrl,
  });
  const own =
    resolved.choice.kind === 'key'
      ? parsePublicKeys(
          createPublicKey(resolved.choice.privateKeyPem)
            .export({ type: 'spki', format: 'pem' })
            .toString(),
          'signing-key',
        )
      : [];
  // No trusted-root input: each keyless record is judged by its certificate issuer's embedded
  // root (as the attest actions do); key-signed records by the keys named.
  const trust = await loadAttestTrust(inputs.trustedRoot);
  const keys = [...own, ...(await verifyKeys(inputs.verifyKeys))];
  const checker = rootChoosingVerifier({
    ...(trust === undefined ? {} : { trust }),
    ...keyTrust({ keys, rootNamed: false }),
  });
  const artifacts = await runtime.hashArtifacts(inputs.artifacts, inputs.workspace);
  const approvals = await approvalsFor(inputs, policy, api, context, env);
  const ports = { store: runtime.openChain(inputs.chain), signer, trust: { checker } };
  const run = runBinding(context);
  const decided = await gateDeploy(
    {
      environment: inputs.environment,
      policy,
      artifacts,
      run,
      approvals,
      verifierId: GATE_VERIFIER_ID,
    },
    { ...ports, clock: runtime.now },
  );
  progress.allowed = true;
  io.setOutput('decision', 'allow');
  io.setOutput('chain', inputs.chain);
  io.setOutput('record-digest', `sha256:${decided.step.appended.digest}`);
  io.info(`decision: allow ${inputs.environment}, signed by ${signer.description}`);
  let deployed: string | undefined;
  if (inputs.run !== undefined) {
    const script = inputs.run;
    const step = await recordDeploy(
      {
        environment: inputs.environment,
        policy,
        artifacts,
        run,
        observations: { audience: inputs.audience },
        act: async () => {
          const token = await requestIdToken({
            env,
            fetch: runtime.fetch,
            audience: inputs.audience,
          });
          runtime.mask(token);
          io.info(`running the deploy command with a token for audience ${inputs.audience}`);
          const outcome = await withRunnerFilesKept(env, () =>
            runtime.runDeploy(
              script,
              inputs.workspace,
              deployEnvironment(env, token, inputs),
              policy,
            ),
          );
          assertCommandSucceeded(outcome);
          // The supervisor's anomaly observation goes into the deploy record.
          return outcome.observations;
        },
      },
      ports,
    );
    deployed = `sha256:${step.appended.digest}`;
    io.setOutput('record-digest', deployed);
  }
  await io.summary(allowedSummary(inputs, decided, deployed));
}

/** Runs the gate; any failure denies: annotations, the summary's reasons, one failed-step line. */
export async function runGate(inputs: GateInputs, runtime: GateRuntime): Promise<void> {
  const { io } = runtime;
  const progress: Progress = { allowed: false };
  try {
    await gate(inputs, runtime, progress);
  } catch (error) {
    const reasons =
      error instanceof StepDeniedError ? failureLines(error.decision) : [attestFailureLine(error)];
    const title = progress.allowed
      ? `Deploy to ${inputs.environment} failed after the gate allowed it`
      : `Deploy to ${inputs.environment} denied`;
    for (const line of reasons) io.error(line, { title });
    io.setOutput('chain', inputs.chain);
    if (!progress.allowed) {
      io.setOutput('decision', 'deny');
      if (error instanceof StepDeniedError)
        io.setOutput('record-digest', `sha256:${error.appended.digest}`);
    }
    await io.summary(
      deniedSummary(inputs, reasons, {
        allowed: progress.allowed,
        recorded: error instanceof StepDeniedError,
      }),
    );
    io.setFailed(attestFailureLine(error));
  }
}

/** The gate on a real runner: what index.ts loads once the inputs are read. */
export async function run(inputs: GateInputs): Promise<void> {
  await runGate(inputs, runtime());
}
