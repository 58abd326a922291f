// The demo pipeline: source → build → test → scan → decision → deploy on this machine, each step a
// signed transition record chained to the one before, with its standard evidence beside it.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ActorClaims, ResourceDescriptor, RunBinding, SignFunction } from '@sathos/core';
import {
  BUILTIN_STAGES,
  JsonlFileStore,
  appendTransition,
  commitSignatures,
  createBundleVerifier,
  digestsOf,
  generateSigningKeyPair,
  keySigner,
  parsePublicKeys,
  parseChainText,
  publicGoodTrust,
  sha256Hex,
  signStatement,
  slsaProvenance,
  testResult,
  verificationSummary,
  verifyChain,
  vulnerabilityScan,
} from '@sathos/core';
import { createScratchRepo, git } from './scratch-repo.js';

const run = promisify(execFile);

export const DEMO_REPOSITORY = 'demo/hello-sathos';
export const DEMO_WORKFLOW = '.github/workflows/release.yml';
export const DEMO_ENVIRONMENT = 'demo';

export interface DemoFiles {
  readonly out: string;
  readonly chain: string;
  readonly artifacts: readonly string[];
  readonly policy: string;
  readonly publicKey: string;
  readonly commit: string;
}

function demoPolicy(keyId: string): string {
  const identities = BUILTIN_STAGES.map((s) => `  ${s}: [{ keyId: "${keyId}" }]`).join('\n');
  return [
    '# The demo policy: every stage, in order, each signed by the key generated for this demo.',
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    `stages: [${BUILTIN_STAGES.join(', ')}]`,
    'identities:',
    identities,
    '',
  ].join('\n');
}

/** Secret-shaped strings the demo scan looks for in the built artifact. */
const SECRET_PATTERNS: readonly [string, RegExp][] = [
  ['private-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['aws-access-key', /\bAKIA[0-9A-Z]{16}\b/],
  ['github-token', /\bgh[pousr]_[A-Za-z0-9]{36}\b/],
];

export async function runDemoPipeline(
  outDir: string,
  log: (line: string) => void,
): Promise<DemoFiles> {
  const out = resolve(outDir);
  for (const old of [
    'chain.jsonl',
    'source',
    'artifacts',
    'deployed',
    'policy.yaml',
    'signing-key.pub',
    'demo.json',
  ]) {
    await rm(join(out, old), { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });

  const repo = await createScratchRepo(join(out, 'source'));
  log(
    `source    commit ${repo.commit} signed by ${repo.signature.principal} (${repo.signature.fingerprint}), verified by git`,
  );

  const keys = generateSigningKeyPair();
  const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
  const publicKey = join(out, 'signing-key.pub');
  await writeFile(publicKey, keys.publicKeyPem);
  const sign: SignFunction = (statement) => signStatement(statement, signer);
  const actor: ActorClaims = { kind: 'key', keyId: signer.keyId };
  const policyPath = join(out, 'policy.yaml');
  const policyText = demoPolicy(signer.keyId);
  await writeFile(policyPath, policyText);

  const runBinding: RunBinding = {
    repository: DEMO_REPOSITORY,
    workflowRef: `${DEMO_REPOSITORY}/${DEMO_WORKFLOW}@refs/heads/main`,
    runId: randomUUID(),
    runAttempt: 1,
    commit: repo.commit,
  };
  const store = new JsonlFileStore(join(out, 'chain.jsonl'));
  const step = (
    stage: string,
    subjects: readonly ResourceDescriptor[],
    extra: Partial<Parameters<typeof appendTransition>[0]> = {},
  ) => appendTransition({ store, sign, stage, subjects, run: runBinding, actor, ...extra });

  const commitSubject = [{ name: `git+${DEMO_REPOSITORY}`, digest: { gitCommit: repo.commit } }];
  await step('source', commitSubject, {
    evidence: [
      commitSignatures(
        commitSubject,
        [
          {
            commit: repo.commit,
            format: 'ssh',
            signer: repo.signature.principal,
            key: repo.signature.fingerprint,
            verdict: 'verified',
            reason: 'good "git" signature from an allowed signer',
          },
        ],
        'git verify-commit',
      ),
    ],
  });

  const artifactsDir = join(out, 'artifacts');
  await mkdir(artifactsDir, { recursive: true });
  const artifact = join(artifactsDir, `hello-sathos-${repo.commit.slice(0, 12)}.tar`);
  await git(['archive', '--format=tar', '-o', artifact, repo.commit], repo.dir);
  const bytes = await readFile(artifact);
  const sha256 = digestsOf(bytes).find((d) => d.algorithm === 'sha256')?.hex ?? '';
  const artifactSubject = [{ name: basename(artifact), digest: { sha256 } }];
  await step('build', artifactSubject, {
    evidence: [
      slsaProvenance(artifactSubject, {
        serverUrl: 'https://github.com',
        repository: DEMO_REPOSITORY,
        workflowPath: DEMO_WORKFLOW,
        ref: 'refs/heads/main',
        commit: repo.commit,
        eventName: 'push',
        runnerEnvironment: 'self-hosted',
        runId: runBinding.runId,
        runAttempt: 1,
        builderId: `https://github.com/${runBinding.workflowRef}`,
      }),
    ],
  });
  log(`build     ${basename(artifact)} sha256:${sha256}`);

  const testFile = 'test/hello.test.js';
  let failed: string[] = [];
  try {
    await run(process.execPath, [testFile], { cwd: repo.dir });
  } catch {
    failed = [testFile];
  }
  const passed = failed.length === 0 ? [testFile] : [];
  await step('test', artifactSubject, {
    evidence: [testResult(artifactSubject, { passed, failed })],
  });
  log(`test      ${passed.length} passed, ${failed.length} failed`);

  const started = new Date();
  const { stdout: listing } = await run('tar', ['-xOf', artifact], { maxBuffer: 64 * 1024 * 1024 });
  const findings = SECRET_PATTERNS.filter(([, re]) => re.test(listing)).map(([id]) => ({
    id,
    severity: 'HIGH',
  }));
  await step('scan', artifactSubject, {
    evidence: [
      vulnerabilityScan(artifactSubject, {
        scannerUri: 'https://sathos.dev/demo/secret-scan',
        scannerVersion: '0.1.0',
        findings,
        startedOn: started,
        finishedOn: new Date(),
      }),
    ],
  });
  log(`scan      ${findings.length} findings`);

  // The decision: verify everything so far against the policy's first four stages, then record it.
  const trustKeys = parsePublicKeys(keys.publicKeyPem, publicKey);
  const checker = createBundleVerifier(publicGoodTrust(), {
    keys: trustKeys,
    allowUnloggedKeySignatures: true,
  });
  const soFar = verifyChain({
    lines: parseChainText(await readFile(store.location, 'utf8'), store.location),
    checker,
    requirements: {
      stages: ['source', 'build', 'test', 'scan'],
      identities: Object.fromEntries(
        ['source', 'build', 'test', 'scan'].map((s) => [s, [{ keyId: signer.keyId }]]),
      ),
      requireTerminal: false,
    },
    artifacts: [{ name: basename(artifact), digests: digestsOf(bytes) }],
    source: store.location,
  });
  const allowed = failed.length === 0 && findings.length === 0;
  const reasons = [
    `chain of ${soFar.records.length} records verified from commit ${repo.commit.slice(0, 12)}`,
    allowed ? 'tests passed and the scan found nothing' : 'tests failed or the scan found secrets',
  ];
  const policyRef = { uri: policyPath, digest: { sha256: sha256Hex(policyText) } };
  await step('decision', artifactSubject, {
    policy: { ...policyRef, decision: allowed ? 'allow' : 'deny', reasons },
    evidence: [
      verificationSummary(artifactSubject, {
        verifierId: 'https://sathos.dev/verifier/sathos-demo-gate@0.1.0',
        time: new Date(),
        resourceUri: `git+${DEMO_REPOSITORY}@${repo.commit}`,
        policy: policyRef,
        inputs: soFar.records.map((r) => ({ digest: { sha256: r.digest } })),
        passed: allowed,
        levels: ['SATHOS_CHAIN_PARTIAL'],
      }),
    ],
  });
  log(`decision  ${allowed ? 'allow' : 'deny'}: ${reasons.join('; ')}`);
  if (!allowed) throw new Error('the demo gate denied the deployment');

  const target = join(out, 'deployed', DEMO_ENVIRONMENT);
  await mkdir(target, { recursive: true });
  await copyFile(artifact, join(target, basename(artifact)));
  await step('deploy', artifactSubject, {
    terminal: true,
    observations: { environment: DEMO_ENVIRONMENT, target: join(target, basename(artifact)) },
  });
  log(`deploy    ${basename(artifact)} → ${DEMO_ENVIRONMENT} (terminal record)`);

  return {
    out,
    chain: store.location,
    artifacts: [artifact],
    policy: policyPath,
    publicKey,
    commit: repo.commit,
  };
}
