// The demo pipeline: source → build → test → scan → decision → deploy on this machine, each step a
// signed transition record chained to the one before, with its standard evidence beside it.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type {
  ActorClaims,
  Decision,
  ResourceDescriptor,
  RunBinding,
  SignFunction,
  Statement,
} from '@sathos/core';
import {
  BUILTIN_STAGES,
  JsonlFileStore,
  SathosError,
  appendTransition,
  commitSignatures,
  createBundleVerifier,
  decideStep,
  describeCause,
  decisionRef,
  digestsOf,
  failureLines,
  generateSigningKeyPair,
  keySigner,
  makeDirectories,
  parsePolicy,
  parsePublicKeys,
  parseChainText,
  publicGoodTrust,
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

/** The demo's rules: each stage's evidence says it went well, and nothing deploys without an allow. */
const DEMO_RULES = `rules:
  - id: commit-signature-verified
    stage: source
    expression: "evidence.commitSignatures.commits.all(c, c.verdict == 'verified')"
    message: every commit of the run carries a verified signature
  - id: built-from-run-commit
    stage: build
    expression: "evidence.provenance.buildDefinition.resolvedDependencies.exists(d, d.digest.gitCommit == run.commit)"
    message: the build's provenance names the commit the run is about
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
  - id: nothing-critical
    stage: scan
    expression: "evidence.vulns.scanner.result.all(f, f.severity.all(s, !(s.score in ['CRITICAL', 'HIGH'])))"
    message: the scan found nothing high or critical
  - id: checks-allowed
    stage: decision
    expression: "['source', 'build', 'test', 'scan'].all(s, records.exists(r, r.stage == s && r.policy.decision == 'allow'))"
    message: the gate decides only after every earlier stage was allowed
  - id: deploy-after-allow
    stage: deploy
    expression: "records.exists(r, r.stage == 'decision' && r.policy.decision == 'allow' && r.evidence.verificationSummary.verificationResult == 'PASSED')"
    message: deploy only after the gate allowed it
environments:
  ${DEMO_ENVIRONMENT}:
    requiredStages: [source, build, test, scan, decision]
    description: the demo's local deployment directory
`;

function demoPolicy(keyId: string): string {
  const identities = BUILTIN_STAGES.map((s) => `  ${s}: [{ keyId: "${keyId}" }]`).join('\n');
  return [
    '# The demo policy: every stage, in order, each signed by the key generated for this demo,',
    '# each decided by the rules below before it acts (docs/policy.md).',
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    `stages: [${BUILTIN_STAGES.join(', ')}]`,
    'identities:',
    identities,
    DEMO_RULES,
  ].join('\n');
}

/** What the demo writes in its directory: all it ever removes, and the mark of a demo's directory. */
const DEMO_MARK = '.sathos-demo';
const DEMO_ENTRIES = [
  'chain.jsonl',
  'source',
  'artifacts',
  'deployed',
  'policy.yaml',
  'signing-key.pub',
  'demo.json',
];

function outError(out: string, message: string): SathosError {
  return new SathosError('USAGE', message, { where: out });
}

// The demo replaces what an earlier demo wrote, so it refuses a file and any directory it did not make.
async function prepareOut(outDir: string): Promise<string> {
  if (outDir.trim() === '') {
    throw new SathosError('USAGE', '--out is empty; name a new directory, e.g. --out .sathos-demo');
  }
  const out = resolve(outDir);
  const info = await stat(out).catch((cause: unknown) => {
    if ((cause as { code?: unknown }).code === 'ENOENT') return undefined;
    throw outError(out, `cannot use --out (${describeCause(cause)}); choose another directory`);
  });
  if (info !== undefined && !info.isDirectory()) {
    throw outError(out, '--out names a file, not a directory; choose a new directory');
  }
  const entries = info === undefined ? [] : await readdir(out);
  if (entries.length > 0 && !entries.includes(DEMO_MARK) && !entries.includes('demo.json')) {
    throw outError(
      out,
      '--out holds files an earlier demo did not write; choose a new or empty directory',
    );
  }
  for (const old of DEMO_ENTRIES) await rm(join(out, old), { recursive: true, force: true });
  await makeDirectories(out, 'USAGE', 'demo directory (--out)');
  await writeFile(join(out, DEMO_MARK), 'written by sathos demo, which replaces its files here\n');
  return out;
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
  const out = await prepareOut(outDir);

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
  const policy = parsePolicy(policyText, policyPath);

  const runBinding: RunBinding = {
    repository: DEMO_REPOSITORY,
    workflowRef: `${DEMO_REPOSITORY}/${DEMO_WORKFLOW}@refs/heads/main`,
    runId: randomUUID(),
    runAttempt: 1,
    commit: repo.commit,
  };
  const store = new JsonlFileStore(join(out, 'chain.jsonl'));
  /** Decides the step under the policy before it acts; the decision goes into its record. */
  const decide = async (
    stage: string,
    subjects: readonly ResourceDescriptor[],
    evidence: readonly Statement[] = [],
    observations?: Readonly<Record<string, unknown>>,
  ): Promise<Decision> =>
    decideStep({
      policy,
      chain: await store.read(),
      stage,
      run: runBinding,
      identity: { kind: 'key', keyId: signer.keyId },
      subjects,
      evidence,
      ...(observations === undefined ? {} : { observations }),
      source: store.location,
    });
  const denied = (decision: Decision): SathosError =>
    new SathosError(
      'POLICY_DENIED',
      `the demo policy denied ${decision.stage}: ${failureLines(decision).join('; ')}`,
    );
  /** Records a step with the decision evaluated before it; a denied step is recorded, then stops the run. */
  const step = async (
    stage: string,
    subjects: readonly ResourceDescriptor[],
    extra: Partial<Parameters<typeof appendTransition>[0]> = {},
  ): Promise<Decision> => {
    const decision = await decide(stage, subjects, extra.evidence, extra.observations);
    await appendTransition({
      store,
      sign,
      stage,
      subjects,
      run: runBinding,
      actor,
      ...extra,
      policy: decisionRef(decision),
    });
    if (!decision.allowed) throw denied(decision);
    return decision;
  };

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
  await makeDirectories(artifactsDir, 'STORE_FAILED', 'artifacts directory');
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
  const verdict = await decide('decision', artifactSubject);
  const reasons = [
    `chain of ${soFar.records.length} records verified from commit ${repo.commit.slice(0, 12)}`,
    verdict.allowed ? 'every rule of the policy passed' : failureLines(verdict).join('; '),
  ];
  const policyRef = verdict.policy;
  await step('decision', artifactSubject, {
    evidence: [
      verificationSummary(artifactSubject, {
        verifierId: 'https://sathos.dev/verifier/sathos-demo-gate@0.1.0',
        time: new Date(),
        resourceUri: `git+${DEMO_REPOSITORY}@${repo.commit}`,
        policy: policyRef,
        inputs: soFar.records.map((r) => ({ digest: { sha256: r.digest } })),
        passed: verdict.allowed,
        levels: ['SATHOS_CHAIN_PARTIAL'],
      }),
    ],
  });
  log(`decision  ${verdict.allowed ? 'allow' : 'deny'}: ${reasons.join('; ')}`);

  const target = join(out, 'deployed', DEMO_ENVIRONMENT);
  const deployed = join(target, basename(artifact));
  const observations = { environment: DEMO_ENVIRONMENT, target: deployed };
  // The deploy acts only after its own decision allows it; a denied deploy leaves no record.
  const deploy = await decide('deploy', artifactSubject, [], observations);
  if (!deploy.allowed) throw denied(deploy);
  await makeDirectories(target, 'STORE_FAILED', 'deployment directory');
  await copyFile(artifact, deployed);
  await appendTransition({
    store,
    sign,
    stage: 'deploy',
    subjects: artifactSubject,
    run: runBinding,
    actor,
    terminal: true,
    observations,
    policy: decisionRef(deploy),
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
