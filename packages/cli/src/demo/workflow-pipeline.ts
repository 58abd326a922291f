// The demo as users run SATHOS: the reusable pipeline (.github/workflows/sathos-pipeline.yml) run
// job by job by the local workflow runner, keyless, each job signing as its own stage workflow
// (certified by the Sigstore stand-ins from GitHub-shaped OIDC tokens), then the same pipeline
// again with the built artifact swapped between the scan and the deploy job — refused at the gate,
// with no deploy token requested. The stand-ins are the demo's only use of test infrastructure
// (docs/architecture.md); everything they certify is verified offline afterwards with the trusted
// root the demo writes.
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SathosError, generateSigningKeyPair, keySigner } from '@sathos/core';
import { makeDirectories } from '@sathos/node';
import { startGitHubStandIn } from '@sathos/github/testing';
import { runWorkflow, type RunResult } from '@sathos/github/workflow-runner';
import { startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { prepareOut } from './out-dir.js';
import { createScratchRepo, type ScratchRepo } from './scratch-repo.js';
import { SATHOS_REPOSITORY, commitSathos } from './sathos-checkout.js';
import {
  APP_REPOSITORY,
  ARTIFACT,
  POLICY_COMMIT,
  POLICY_REPOSITORY,
  appFiles,
  releaseWorkflow,
  workflowPolicy,
} from './workflow-app.js';

export const WORKFLOW_ENVIRONMENT = 'demo';
const RELEASE = '.github/workflows/release.yml';
const DEPLOY_JOB = 'release/deploy/deploy';
const API_TOKEN = 'demo-runner-token';

export interface WorkflowDemoFiles {
  readonly out: string;
  /** The deploy job's chain: source to deploy, every record keyless. */
  readonly chain: string;
  /** The chain as the scan job handed it to the gate. */
  readonly gateInput: string;
  readonly artifacts: readonly string[];
  readonly policy: string;
  readonly trustedRoot: string;
  readonly commit: string;
  /** The key demo.json's offline gate command signs its decision with. */
  readonly gateKey: string;
  readonly honest: RunResult;
  readonly attack: RunResult;
}

interface Run {
  readonly name: string;
  readonly workDir: string;
  readonly result: RunResult;
  /** The run's artifacts, one directory per artifact name. */
  readonly artifactsDir: string;
}

interface Setting {
  readonly out: string;
  readonly app: ScratchRepo;
  readonly sathosDir: string;
  readonly sigstore: SigstoreStandIn;
  readonly apiUrl: string;
}

async function runPipeline(
  s: Setting,
  name: string,
  between?: (job: string, artifactsDir: string) => Promise<void>,
): Promise<Run> {
  const workDir = join(s.out, 'runs', name);
  let artifactsDir = '';
  const result = await runWorkflow({
    repository: APP_REPOSITORY,
    repositoryDir: s.app.dir,
    workflowPath: RELEASE,
    sha: s.app.commit,
    event: {
      before: '0'.repeat(40),
      after: s.app.commit,
      ref: 'refs/heads/main',
      forced: false,
      repository: { default_branch: 'main', visibility: 'public', private: false },
    },
    repositories: { [SATHOS_REPOSITORY]: s.sathosDir },
    workDir,
    issueToken: (claims) => s.sigstore.issueToken({ sub: '', ...claims }),
    apiUrl: s.apiUrl,
    githubToken: API_TOKEN,
    repositoryVisibility: 'public',
    hostEnv: { PATH: process.env.PATH ?? '', HOME: join(s.out, 'runs') },
    afterJob: async (job, dir) => {
      artifactsDir = dir;
      await between?.(job, dir);
    },
  });
  return { name, workDir, result, artifactsDir };
}

/** The attacker who can write artifacts between jobs swaps the built file after the scan. */
async function swapArtifact(job: string, artifactsDir: string): Promise<void> {
  if (job !== 'release/scan/scan') return;
  const file = join(artifactsDir, 'sathos-artifacts', ARTIFACT.replace(/^dist\//, ''));
  await writeFile(file, 'hello from the attacker\n');
}

function failedJob(run: Run, job: string): SathosError {
  const detail = run.result.jobs[job]?.errors.join('; ') ?? 'the job never ran';
  return new SathosError('USAGE', `the demo's ${run.name} run failed at ${job}: ${detail}`);
}

export async function runWorkflowDemo(
  outDir: string,
  checkout: string,
  log: (line: string) => void,
): Promise<WorkflowDemoFiles> {
  const out = await prepareOut(outDir);
  const sathosDir = join(out, 'sathos');
  await makeDirectories(sathosDir, 'STORE_FAILED', 'demo SATHOS repository');
  const sathosSha = await commitSathos(checkout, sathosDir);
  const sigstore = await startSigstoreStandIn();
  const deployDir = join(out, 'deployed');
  const trustedRoot = join(out, 'trusted-root.json');
  try {
    const rootText = `${JSON.stringify(sigstore.trustedRoot, null, 2)}\n`;
    await writeFile(trustedRoot, rootText);
    const app = await createScratchRepo(join(out, 'source'), {
      ...appFiles(rootText),
      [RELEASE]: releaseWorkflow(sathosSha, WORKFLOW_ENVIRONMENT, deployDir, sigstore),
    });
    const signers = await readFile(app.allowedSigners, 'utf8');
    const gate = await gateKey(out);
    const policyText = workflowPolicy(sathosSha, WORKFLOW_ENVIRONMENT, signers, gate.keyId);
    const policy = join(out, 'policy.yaml');
    await writeFile(policy, policyText);
    log(
      `source: ${APP_REPOSITORY}@${app.commit.slice(0, 12)}, SSH-signed by ${app.signature.principal}`,
    );
    log(
      `pipeline: ${SATHOS_REPOSITORY}/.github/workflows/sathos-pipeline.yml@${sathosSha.slice(0, 12)}`,
    );
    const github = await startGitHubStandIn({
      apiToken: API_TOKEN,
      files: { [`${POLICY_REPOSITORY}/policy.yaml@${POLICY_COMMIT}`]: policyText },
    });
    try {
      const setting = { out, app, sathosDir, sigstore, apiUrl: github.apiUrl };
      const honest = await runPipeline(setting, 'honest');
      if (honest.result.conclusion !== 'success') throw failedJob(honest, DEPLOY_JOB);
      const attack = await runPipeline(setting, 'artifact-swapped', swapArtifact);
      const deployAudience = `sathos-deploy:${WORKFLOW_ENVIRONMENT}`;
      if (
        attack.result.jobs[DEPLOY_JOB]?.result !== 'failure' ||
        attack.result.tokenRequests.some((t) => t.audience === deployAudience)
      ) {
        throw new SathosError(
          'POLICY_DENIED',
          'the gate let a swapped artifact through or asked for its deploy token; report this bug',
        );
      }
      return {
        ...(await keepFiles(out, honest)),
        policy,
        trustedRoot,
        commit: app.commit,
        gateKey: gate.path,
        honest: honest.result,
        attack: attack.result,
      };
    } finally {
      await github.close();
    }
  } finally {
    await sigstore.close();
  }
}

async function gateKey(out: string): Promise<{ path: string; keyId: string }> {
  const keys = generateSigningKeyPair();
  const path = join(out, 'gate-key.pem');
  await writeFile(path, keys.privateKeyPem, { mode: 0o600 });
  await writeFile(join(out, 'gate-key.pub'), keys.publicKeyPem);
  return { path, keyId: keySigner({ privateKeyPem: keys.privateKeyPem }).keyId };
}

/** The honest run's final chain, the chain the gate was handed, and the artifact, in `out`. */
async function keepFiles(
  out: string,
  run: Run,
): Promise<Pick<WorkflowDemoFiles, 'out' | 'chain' | 'gateInput' | 'artifacts'>> {
  const chain = join(out, 'chain.jsonl');
  const gateInput = join(out, 'chain-before-gate.jsonl');
  await copyFile(join(run.artifactsDir, 'sathos-chain-deploy', 'chain.jsonl'), chain);
  await copyFile(join(run.artifactsDir, 'sathos-chain-scan', 'chain.jsonl'), gateInput);
  const artifactsDir = join(out, 'artifacts');
  await makeDirectories(artifactsDir, 'STORE_FAILED', 'demo artifacts');
  const built = join(run.artifactsDir, 'sathos-artifacts');
  const artifacts: string[] = [];
  for (const name of await readdir(built)) {
    await copyFile(join(built, name), join(artifactsDir, name));
    artifacts.push(join(artifactsDir, name));
  }
  return { out, chain, gateInput, artifacts };
}
