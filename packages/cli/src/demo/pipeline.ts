// The demo pipeline: source → build → test → scan → decision → deploy on this machine, each step a
// signed transition record chained to the one before through core's step service.
import { randomUUID } from 'node:crypto';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Policy, RunBinding, StepPorts, StepSigner } from '@sathos/core';
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
  /** The gate's own key pair: it alone may sign the decision and the deploy. */
  readonly gateKey: string;
  readonly gatePublicKey: string;
  /** The chain as the gate was handed it (source to scan): what demo.json's gate arguments decide on. */
  readonly gateInput: string;
  readonly commit: string;
}

interface DemoKeys {
  readonly ports: StepPorts;
  /** The gate's signer: a key of its own, so the policy can give it alone the decision. */
  readonly gateSigner: StepSigner;
  readonly policy: Policy;
  readonly policyPath: string;
  readonly publicKey: string;
  readonly gateKey: string;
  readonly gatePublicKey: string;
}

function stepSigner(privateKeyPem: string): StepSigner & { keyId: string } {
  const signer = keySigner({ privateKeyPem });
  return {
    keyId: signer.keyId,
    sign: (statement) => signStatement(statement, signer),
    actor: { kind: 'key', keyId: signer.keyId },
  };
}

/**
 * Two fresh keys — the pipeline's and the gate's — the policy naming each for its stages, and the
 * step service's ports that trust only them.
 */
async function demoKeys(out: string): Promise<DemoKeys> {
  const keys = generateSigningKeyPair();
  const gateKeys = generateSigningKeyPair();
  const signer = stepSigner(keys.privateKeyPem);
  const gateSigner = stepSigner(gateKeys.privateKeyPem);
  const publicKey = join(out, 'signing-key.pub');
  const gateKey = join(out, 'gate-key.pem');
  const gatePublicKey = join(out, 'gate-key.pub');
  await writeFile(publicKey, keys.publicKeyPem);
  await writeFile(gateKey, gateKeys.privateKeyPem, { mode: 0o600 });
  await writeFile(gatePublicKey, gateKeys.publicKeyPem);
  const policyPath = join(out, 'policy.yaml');
  const policyText = demoPolicy(signer.keyId, gateSigner.keyId);
  await writeFile(policyPath, policyText);
  // The demo's keys sign offline (no transparency log), and the demo names no trusted root.
  const trusted = [
    ...parsePublicKeys(keys.publicKeyPem, publicKey),
    ...parsePublicKeys(gateKeys.publicKeyPem, gatePublicKey),
  ];
  const checker = createBundleVerifier(
    publicGoodTrust(),
    keyTrust({ keys: trusted, rootNamed: false }),
  );
  const ports: StepPorts = {
    store: new JsonlFileStore(join(out, 'chain.jsonl')),
    signer,
    trust: { checker },
  };
  return {
    ports,
    gateSigner,
    policy: parsePolicy(policyText, policyPath),
    policyPath,
    publicKey,
    gateKey,
    gatePublicKey,
  };
}

export async function runDemoPipeline(
  outDir: string,
  log: (line: string) => void,
): Promise<DemoFiles> {
  const out = await prepareOut(outDir);
  const repo = await createScratchRepo(join(out, 'source'));
  const keys = await demoKeys(out);
  const { ports, policy, policyPath, publicKey } = keys;
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
  const gateInput = join(out, 'chain-before-gate.jsonl');
  await copyFile(ports.store.location, gateInput);
  // The gate and the deploy sign with the gate's own key: the policy lets no other sign them.
  const gated = { ...demo, ports: { ...ports, signer: keys.gateSigner } };
  await decisionStage(gated, artifact);
  await deployStage(gated, artifact);
  return {
    out,
    chain: ports.store.location,
    artifacts: [artifact.path],
    policy: policyPath,
    publicKey,
    gateKey: keys.gateKey,
    gatePublicKey: keys.gatePublicKey,
    gateInput,
    commit: repo.commit,
  };
}
