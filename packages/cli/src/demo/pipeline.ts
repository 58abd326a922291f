// The demo pipeline: source → build → test → scan → decision → deploy on this machine, each step a
// signed transition record chained to the one before through core's step service.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Policy, RunBinding, StepPorts } from '@sathos/core';
import {
  createBundleVerifier,
  generateSigningKeyPair,
  keySigner,
  keyTrust,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  signStatement,
} from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import { prepareOut } from './out-dir.js';
import { DEMO_ENVIRONMENT, demoPolicy } from './policy.js';
import { createScratchRepo } from './scratch-repo.js';
import {
  DEMO_REPOSITORY,
  DEMO_WORKFLOW,
  buildStage,
  decisionStage,
  deployStage,
  scanStage,
  sourceStage,
  testStage,
} from './stages.js';

export { DEMO_ENVIRONMENT, DEMO_REPOSITORY, DEMO_WORKFLOW };

export interface DemoFiles {
  readonly out: string;
  readonly chain: string;
  readonly artifacts: readonly string[];
  readonly policy: string;
  readonly publicKey: string;
  readonly commit: string;
}

interface DemoKeys {
  readonly ports: StepPorts;
  readonly policy: Policy;
  readonly policyPath: string;
  readonly publicKey: string;
}

/** A fresh signing key, the policy naming it, and the step service's ports that trust only it. */
async function demoKeys(out: string): Promise<DemoKeys> {
  const keys = generateSigningKeyPair();
  const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
  const publicKey = join(out, 'signing-key.pub');
  await writeFile(publicKey, keys.publicKeyPem);
  const policyPath = join(out, 'policy.yaml');
  const policyText = demoPolicy(signer.keyId);
  await writeFile(policyPath, policyText);
  // The demo's key signs offline (no transparency log), and the demo names no trusted root.
  const checker = createBundleVerifier(
    publicGoodTrust(),
    keyTrust({ keys: parsePublicKeys(keys.publicKeyPem, publicKey), rootNamed: false }),
  );
  const ports: StepPorts = {
    store: new JsonlFileStore(join(out, 'chain.jsonl')),
    signer: {
      sign: (statement) => signStatement(statement, signer),
      actor: { kind: 'key', keyId: signer.keyId },
    },
    trust: { checker },
  };
  return { ports, policy: parsePolicy(policyText, policyPath), policyPath, publicKey };
}

export async function runDemoPipeline(
  outDir: string,
  log: (line: string) => void,
): Promise<DemoFiles> {
  const out = await prepareOut(outDir);
  const repo = await createScratchRepo(join(out, 'source'));
  const { ports, policy, policyPath, publicKey } = await demoKeys(out);
  const run: RunBinding = {
    repository: DEMO_REPOSITORY,
    workflowRef: `${DEMO_REPOSITORY}/${DEMO_WORKFLOW}@refs/heads/main`,
    runId: randomUUID(),
    runAttempt: 1,
    commit: repo.commit,
  };
  const demo = { out, repo, run, policy, ports, log };
  await sourceStage(demo);
  const artifact = await buildStage(demo);
  await testStage(demo, artifact);
  await scanStage(demo, artifact);
  await decisionStage(demo, artifact);
  await deployStage(demo, artifact);
  return {
    out,
    chain: ports.store.location,
    artifacts: [artifact.path],
    policy: policyPath,
    publicKey,
    commit: repo.commit,
  };
}
