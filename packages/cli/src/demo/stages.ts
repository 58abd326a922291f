// The demo's six stages, each recorded through core's step service: it verifies the chain so far,
// decides the stage under the demo policy, and appends the signed record with its evidence.
import { execFile } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type {
  Digest,
  Policy,
  RecordStepInput,
  ResourceDescriptor,
  RunBinding,
  StepPorts,
  StepResult,
} from '@sathos/core';
import {
  commitSignatures,
  digestsOf,
  gateDeploy,
  recordDeploy,
  recordStep,
  slsaProvenance,
  testResult,
  vulnerabilityScan,
} from '@sathos/core';
import { makeDirectories } from '@sathos/node';
import { DEMO_ENVIRONMENT } from './policy.js';
import type { ScratchRepo } from './scratch-repo.js';
import { git } from './scratch-repo.js';

const run = promisify(execFile);

export const DEMO_REPOSITORY = 'demo/hello-sathos';
export const DEMO_WORKFLOW = '.github/workflows/release.yml';
const GATE_ID = 'https://sathos.dev/verifier/sathos-demo-gate@0.1.0';

/** What every stage shares: where it writes, the run, and the step service's ports. */
export interface DemoRun {
  readonly out: string;
  readonly repo: ScratchRepo;
  readonly run: RunBinding;
  readonly policy: Policy;
  readonly ports: StepPorts;
  readonly log: (line: string) => void;
}

/** The artifact the build made: its path, its subject, its digests. */
export interface DemoArtifact {
  readonly path: string;
  readonly subjects: readonly ResourceDescriptor[];
  readonly digests: readonly Digest[];
  readonly sha256: string;
}

type StageInput = Omit<RecordStepInput, 'run' | 'policy'>;

/** One step through the service, under the demo's run and policy; a denied step throws. */
function step(demo: DemoRun, input: StageInput): Promise<StepResult> {
  return recordStep({ ...input, run: demo.run, policy: demo.policy }, demo.ports);
}

export async function sourceStage(demo: DemoRun): Promise<void> {
  const { repo } = demo;
  const subjects = [{ name: `git+${DEMO_REPOSITORY}`, digest: { gitCommit: repo.commit } }];
  const verdict = {
    commit: repo.commit,
    format: 'ssh',
    signer: repo.signature.principal,
    key: repo.signature.fingerprint,
    verdict: 'verified',
    reason: 'good "git" signature from an allowed signer',
  } as const;
  await step(demo, {
    stage: 'source',
    subjects,
    evidence: [commitSignatures(subjects, [verdict], 'git verify-commit')],
  });
  demo.log(
    `source    commit ${repo.commit} signed by ${repo.signature.principal} (${repo.signature.fingerprint}), verified by git`,
  );
}

export async function buildStage(demo: DemoRun): Promise<DemoArtifact> {
  const { repo } = demo;
  const dir = join(demo.out, 'artifacts');
  await makeDirectories(dir, 'STORE_FAILED', 'artifacts directory');
  const path = join(dir, `hello-sathos-${repo.commit.slice(0, 12)}.tar`);
  await git(['archive', '--format=tar', '-o', path, repo.commit], repo.dir);
  const digests = digestsOf(await readFile(path));
  const sha256 = digests.find((d) => d.algorithm === 'sha256')?.hex ?? '';
  const subjects = [{ name: basename(path), digest: { sha256 } }];
  const provenance = slsaProvenance(subjects, {
    serverUrl: 'https://github.com',
    repository: DEMO_REPOSITORY,
    workflowPath: DEMO_WORKFLOW,
    ref: 'refs/heads/main',
    commit: repo.commit,
    eventName: 'push',
    runnerEnvironment: 'self-hosted',
    runId: demo.run.runId,
    runAttempt: 1,
    builderId: `https://github.com/${demo.run.workflowRef}`,
  });
  await step(demo, { stage: 'build', subjects, evidence: [provenance] });
  demo.log(`build     ${basename(path)} sha256:${sha256}`);
  return { path, subjects, digests, sha256 };
}

export async function testStage(demo: DemoRun, artifact: DemoArtifact): Promise<void> {
  const testFile = 'test/hello.test.js';
  let failed: string[] = [];
  try {
    await run(process.execPath, [testFile], { cwd: demo.repo.dir });
  } catch {
    failed = [testFile];
  }
  const passed = failed.length === 0 ? [testFile] : [];
  const evidence = [testResult(artifact.subjects, { passed, failed })];
  await step(demo, { stage: 'test', subjects: artifact.subjects, evidence });
  demo.log(`test      ${passed.length} passed, ${failed.length} failed`);
}

/** Secret-shaped strings the demo scan looks for in the built artifact. */
const SECRET_PATTERNS: readonly [string, RegExp][] = [
  ['private-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['aws-access-key', /\bAKIA[0-9A-Z]{16}\b/],
  ['github-token', /\bgh[pousr]_[A-Za-z0-9]{36}\b/],
];

export async function scanStage(demo: DemoRun, artifact: DemoArtifact): Promise<void> {
  const started = new Date();
  const { stdout: listing } = await run('tar', ['-xOf', artifact.path], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const findings = SECRET_PATTERNS.filter(([, re]) => re.test(listing)).map(([id]) => ({
    id,
    severity: 'HIGH',
  }));
  const scan = vulnerabilityScan(artifact.subjects, {
    scannerUri: 'https://sathos.dev/demo/secret-scan',
    scannerVersion: '0.1.0',
    findings,
    startedOn: started,
    finishedOn: new Date(),
  });
  await step(demo, { stage: 'scan', subjects: artifact.subjects, evidence: [scan] });
  demo.log(`scan      ${findings.length} findings`);
}

/** The gate: core's gateDeploy verifies the complete chain, decides the environment, signs its VSA. */
export async function decisionStage(demo: DemoRun, artifact: DemoArtifact): Promise<void> {
  const { decision, relied } = await gateDeploy(
    {
      environment: DEMO_ENVIRONMENT,
      policy: demo.policy,
      artifacts: [{ name: basename(artifact.path), digests: artifact.digests }],
      run: demo.run,
      verifierId: GATE_ID,
    },
    { ...demo.ports, clock: () => new Date() },
  );
  const passed = decision.results.filter((r) => r.passed).length;
  demo.log(
    `decision  allow ${DEMO_ENVIRONMENT}: chain of ${relied.records.length} records verified from commit ${demo.repo.commit.slice(0, 12)}; ${passed} rule(s) passed; summary signed by the gate key`,
  );
}

/** The deploy copies the artifact only once its own decision allows it; a denial is recorded. */
export async function deployStage(demo: DemoRun, artifact: DemoArtifact): Promise<void> {
  const target = join(demo.out, 'deployed', DEMO_ENVIRONMENT);
  const deployed = join(target, basename(artifact.path));
  await recordDeploy(
    {
      environment: DEMO_ENVIRONMENT,
      policy: demo.policy,
      artifacts: [{ name: basename(artifact.path), digests: artifact.digests }],
      run: demo.run,
      observations: { target: deployed },
      act: async () => {
        await makeDirectories(target, 'STORE_FAILED', 'deployment directory');
        await copyFile(artifact.path, deployed);
      },
    },
    demo.ports,
  );
  demo.log(`deploy    ${basename(artifact.path)} → ${DEMO_ENVIRONMENT} (terminal record)`);
}
