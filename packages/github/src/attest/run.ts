// One attest step on GitHub Actions, shared by actions/attest-build and actions/attest-step: read
// the run and choose the signing, run the step's command, collect its subjects, then hand core's
// attestStep the chain, the signer and whom to trust — it verifies the chain it was handed,
// decides under the policy, signs, and appends every bundle or none (uploads first, see
// UploadingStore). The outputs and job summary come last.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SathosError,
  StepDeniedError,
  claimsRunProblems,
  attestStep,
  decodeRecords,
  describeCause,
  failureLines,
  isSathosError,
  type AttestResult,
  type ChainStore,
  type Policy,
  type Statement,
  type Subject,
} from '@sathos/core';
import { readRunContext, runBinding, type RunContext } from '../context.js';
import type { Env } from '../inputs.js';
import type { ActionIO } from '../io.js';
import { assertIdTokenAvailable } from '../oidc.js';
import { readPolicyInput } from '../policy-input.js';
import type { Fetch } from '../rest.js';
import { readVisibility, resolveSigning } from '../signing-instance.js';
import { jobSigner, type JobSigner } from '../signing.js';
import {
  assertCommandSucceeded,
  commandEnvironment,
  commandObservations,
  runCommand,
  type CommandRunner,
} from './command.js';
import { assertCommandIsolated, type CommandIsolation } from './isolation.js';
import { withRunnerFilesKept } from './runner-files.js';
import type { AttestInputs, SubjectInputs } from './inputs.js';
import { attestSummaries } from './summary.js';
import { chainTrust, loadAttestTrust } from './trust.js';
import { RegistryStore, type RegistryPush } from './registry-store.js';
import { UploadingStore } from './uploading-store.js';

/** What the step talks to; tests hand in loopback servers and a recorder. */
export interface AttestRuntime {
  readonly env: Env;
  readonly fetch: Fetch;
  readonly io: ActionIO;
  /** The node edge: subjects hashed from the workspace, and the chain file. */
  readonly collectSubjects: (sources: SubjectInputs, workspace: string) => Promise<Subject[]>;
  readonly openChain: (path: string) => ChainStore;
  /** Attaches a bundle to an image as an OCI referrer (push-to-registry). */
  readonly pushToRegistry: RegistryPush;
  /** Runs the `run:` input: the actions hand in the anomaly supervisor (default: bare runCommand). */
  readonly runCommand?: CommandRunner;
  /** Why the `run:` command could read this action's process (isolation.ts); asked before any work. */
  readonly commandIsolation: CommandIsolation;
}

/** The step's own part: its evidence about each part of its subjects. */
export interface AttestPlan {
  /** Keyless signing must certify the job's workflow claims (provenance is built from them). */
  readonly needsWorkflowClaims: boolean;
  /** Reads the step's reports once; returns the evidence of each part of the subjects. */
  evidence(
    signer: JobSigner,
    context: RunContext,
  ): Promise<(subjects: readonly Subject[]) => readonly Statement[]>;
}

/** The one line a failed step shows. */
export function attestFailureLine(error: unknown): string {
  return isSathosError(error)
    ? `${error.code}: ${error.line}`
    : `unexpected error: ${describeCause(error)}`;
}

/** A chain starts with its source record (actions/verify-commit-signature); a step never starts one. */
async function assertChainStarted(store: ChainStore): Promise<void> {
  if ((await store.read()).length > 0) return;
  throw new SathosError(
    'USAGE',
    'the chain is empty: start it with actions/verify-commit-signature (the source record) and hand its chain file to this job',
    { where: store.location },
  );
}

/** Writes this step's bundles (JSON Lines) where actions/attest's bundle-path points. */
async function writeStepBundles(context: RunContext, result: AttestResult, stage: string) {
  const last = result.records.at(-1);
  const dir = join(context.runnerTemp ?? tmpdir(), 'sathos');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${stage}-${last?.digest ?? 'none'}.sigstore.jsonl`);
  await writeFile(path, result.bundles.map((b) => `${JSON.stringify(b)}\n`).join(''));
  return path;
}

/** The chain file, behind the registry pushes and the uploads that must succeed before it is written. */
function openStore(inputs: AttestInputs, runtime: AttestRuntime, context: RunContext) {
  let file = runtime.openChain(inputs.chain);
  if (inputs.pushToRegistry) {
    const images = inputs.subjects.images;
    if (images.length === 0) {
      throw new SathosError(
        'USAGE',
        'input "push-to-registry" is true but no image is named: give "subject-name" (registry/repository) and "subject-digest" (sha256:<hex>)',
      );
    }
    file = new RegistryStore(file, images, runtime.pushToRegistry, runtime.env);
  }
  if (inputs.githubToken === undefined) {
    runtime.io.notice('github-token is empty: the bundles are kept in the chain file only');
    return { store: file };
  }
  const store = new UploadingStore(file, {
    apiUrl: context.apiUrl,
    fetch: runtime.fetch,
    repository: context.repository,
    token: inputs.githubToken,
    serverUrl: context.serverUrl,
  });
  return { store, uploads: store };
}

async function readPolicy(inputs: AttestInputs, runtime: AttestRuntime, context: RunContext) {
  if (inputs.policy === undefined) return undefined;
  const api = { apiUrl: context.apiUrl, token: inputs.githubToken, fetch: runtime.fetch };
  return readPolicyInput(inputs.policy, api);
}

/** The job's signer; keyless provenance must come from the token of this very run. */
async function signerFor(
  inputs: AttestInputs,
  runtime: AttestRuntime,
  context: RunContext,
  plan: AttestPlan,
) {
  const resolved = resolveSigning(inputs.signing, await readVisibility(context.eventPath));
  runtime.io.info(`signing: ${resolved.reason}`);
  const signer = await jobSigner(resolved.choice, {
    env: runtime.env,
    fetch: runtime.fetch,
    serverUrl: context.serverUrl,
    requireWorkflowClaims: plan.needsWorkflowClaims && resolved.choice.kind === 'keyless',
  });
  const foreign =
    signer.workflowClaims === undefined
      ? []
      : claimsRunProblems(signer.workflowClaims, runBinding(context));
  if (foreign.length > 0) {
    throw new SathosError(
      'IDENTITY_MISMATCH',
      `the OIDC token is not this run's (${foreign.join('; ')}); nothing was signed`,
    );
  }
  return { resolved, signer };
}

async function outputs(
  inputs: AttestInputs,
  runtime: AttestRuntime,
  context: RunContext,
  result: AttestResult,
  uploads: UploadingStore | undefined,
): Promise<void> {
  const { io } = runtime;
  const last = result.records.at(-1);
  io.setOutput('bundle-path', await writeStepBundles(context, result, inputs.stage));
  io.setOutput('chain', inputs.chain);
  io.setOutput('record-digest', last === undefined ? '' : `sha256:${last.digest}`);
  // The step's first attestation is its main evidence (provenance, test result…), else its record.
  const first = uploads?.uploaded[0];
  if (first !== undefined) {
    io.setOutput('attestation-id', String(first.id));
    io.setOutput('attestation-url', first.url);
  }
  const chain = decodeRecords(await runtime.openChain(inputs.chain).read(), inputs.chain);
  const lines = [
    `${result.records.length} record(s) and ${result.bundles.length - result.records.length} evidence bundle(s) appended to ${inputs.chain}.`,
    ...(uploads === undefined
      ? []
      : [`${uploads.uploaded.length} attestation(s) stored on GitHub.`]),
  ];
  const subjects = result.records.flatMap((r) => r.statement.subject) as Subject[];
  for (const summary of attestSummaries({
    stage: inputs.stage,
    subjects,
    chain,
    chainPath: inputs.chain,
    lines,
  })) {
    await io.summary(summary);
  }
}

async function attest(inputs: AttestInputs, runtime: AttestRuntime, plan: AttestPlan) {
  const { env, io } = runtime;
  // Preflight: the missing `permissions:` line is named before any work is done.
  if (inputs.signing.kind !== 'key') assertIdTokenAvailable(env);
  if (inputs.run !== undefined)
    await assertCommandIsolated(
      runtime.commandIsolation,
      "this action's signing key and the runner's token-request credentials",
    );
  const context = readRunContext(env);
  await assertChainStarted(runtime.openChain(inputs.chain));
  const policy: Policy | undefined = await readPolicy(inputs, runtime, context);
  const { resolved, signer } = await signerFor(inputs, runtime, context, plan);
  const trust = await loadAttestTrust(inputs.trustedRoot);
  const ports = {
    signer,
    trust: chainTrust(trust, resolved.choice, signer, inputs.stage, policy),
  };
  let observations: Record<string, unknown> | undefined;
  if (inputs.run !== undefined) {
    io.info(`running the step's command (bash -e)`);
    const runner = runtime.runCommand ?? runCommand;
    const script = inputs.run;
    const outcome = await withRunnerFilesKept(env, () =>
      runner(script, inputs.workspace, commandEnvironment(env), policy),
    );
    assertCommandSucceeded(outcome);
    observations = commandObservations(outcome);
  }
  // The command may have touched the chain file: an emptied chain must not become a build genesis.
  if (inputs.run !== undefined) await assertChainStarted(runtime.openChain(inputs.chain));
  const subjects = await runtime.collectSubjects(inputs.subjects, inputs.workspace);
  const evidence = await plan.evidence(signer, context);
  const { store, uploads } = openStore(inputs, runtime, context);
  const result = await attestStep(
    {
      stage: inputs.stage,
      subjects,
      run: runBinding(context),
      evidence,
      ...(observations === undefined ? {} : { observations }),
      ...(policy === undefined ? {} : { policy }),
    },
    { ...ports, store },
  );
  io.info(
    `${inputs.stage}: ${result.subjects} subject(s) in ${result.records.length} record(s), signed by ${signer.description}, appended to ${inputs.chain}`,
  );
  await outputs(inputs, runtime, context, result, uploads);
}

/** Runs the step; any failure becomes annotations and one failed-step line (exit 1). */
export async function runAttest(
  inputs: AttestInputs,
  runtime: AttestRuntime,
  plan: AttestPlan,
): Promise<void> {
  const { io } = runtime;
  try {
    await attest(inputs, runtime, plan);
  } catch (error) {
    if (error instanceof StepDeniedError) {
      for (const line of failureLines(error.decision)) {
        io.error(line, { title: `Policy denied the ${inputs.stage} step` });
      }
    }
    io.setFailed(attestFailureLine(error));
  }
}
