// The supervisor behind the other actions' `run:` input, end to end: attest-step runs its command
// under superviseScript, a connection the policy's anomaly section refuses lands as a finding in the
// scan record, and gate-deploy (also supervising its own deploy command) denies on it with the
// sathos:anomaly rule and requests no token; on an honest chain, a deploy command that calls a denied
// host is refused that connection and its finding is in the terminal deploy record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBundleVerifier,
  generateSigningKeyPair,
  keySigner,
  keyTrust,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  recordStep,
  signStatement,
  type StepPorts,
} from '@sathos/core';
import { readAttestInputs, readRunContext, recordingIO, runBinding } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';

import { countingServer, type CountingServer } from '../../../packages/guard/src/test-servers.js';
import { JsonlFileStore, collectSubjects } from '@sathos/node';
import { run as runAttestStep } from '../../../actions/attest-step/src/main.js';
import { readGateInputs } from '../../../actions/gate-deploy/src/inputs.js';
import { runGate } from '../../../actions/gate-deploy/src/main.js';
import { superviseScript, supervisorIsolation } from '@sathos/guard';

const REPOSITORY = 'octo-org/octo-repo';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const REQUEST_TOKEN = 'runner-request-token';
const APP = 'the release\n';
const APP_SHA = createHash('sha256').update(APP).digest('hex');
const builder = generateSigningKeyPair();
const gateKeys = generateSigningKeyPair();
const builderSigner = keySigner({ privateKeyPem: builder.privateKeyPem });
const gateSigner = keySigner({ privateKeyPem: gateKeys.privateKeyPem });

const policyText = (allowedPort: number) => `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, scan, decision, deploy]
identities:
${['source', 'build', 'test', 'scan'].map((s) => `  ${s}: [{ keyId: "${builderSigner.keyId}" }]`).join('\n')}
  decision: [{ keyId: "${gateSigner.keyId}" }]
  deploy: [{ keyId: "${gateSigner.keyId}" }]
environments:
  production:
    requiredStages: [source, build, test, scan, decision]
anomaly:
  mode: block
  allowedHosts: ["127.0.0.1:${allowedPort}"]
`;

interface Record_ {
  stage: string;
  observations?: { anomaly?: { findings: { kind: string; host: string }[]; sandbox?: string } };
}

/** The transition records of a chain file (every line's DSSE payload that is a transition). */
function records(path: string): Record_[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(
        Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'),
      ) as { predicateType: string; predicate: Record_ };
      return statement;
    })
    .filter((s) => s.predicateType.includes('sathos'))
    .map((s) => s.predicate)
    .filter((p) => typeof p.stage === 'string');
}

void describe('the supervisor behind attest-step and gate-deploy run:', () => {
  let work: string;
  let allowed: CountingServer;
  let denied: CountingServer;
  let github: GitHubStandIn;
  let policyPath: string;
  let n = 0;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sathos-supervised-'));
    mkdirSync(join(work, 'workspace', 'dist'), { recursive: true });
    writeFileSync(join(work, 'workspace', 'dist', 'app.tar'), APP);
    writeFileSync(join(work, 'builder.pub'), builder.publicKeyPem);
    writeFileSync(
      join(work, 'event.json'),
      JSON.stringify({ repository: { visibility: 'public' } }),
    );
    allowed = await countingServer('allowed\n');
    denied = await countingServer('denied\n');
    policyPath = join(work, 'policy.yaml');
    writeFileSync(policyPath, policyText(allowed.port));
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      idTokenRequestToken: REQUEST_TOKEN,
      issueIdToken: (aud) =>
        `e30.${Buffer.from(JSON.stringify({ aud })).toString('base64url')}.sig`,
    });
  });
  after(async () => {
    await Promise.all([allowed.close(), denied.close(), github.close()]);
    rmSync(work, { recursive: true, force: true });
  });

  const env = () => ({
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_WORKFLOW_REF: `${REPOSITORY}/.github/workflows/release.yml@refs/heads/main`,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: SHA,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: join(work, 'event.json'),
    GITHUB_API_URL: github.apiUrl,
    GITHUB_WORKSPACE: join(work, 'workspace'),
    RUNNER_TEMP: join(work, 'runner-temp'),
    ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    PATH: process.env.PATH ?? '',
  });

  /** source → test signed by the builder key, as the earlier jobs leave the chain. */
  async function chainToTest(): Promise<string> {
    const path = join(work, `chain-${(n += 1)}.jsonl`);
    const run = runBinding(readRunContext(env()));
    const policy = parsePolicy(policyText(allowed.port), policyPath);
    const ports: StepPorts = {
      store: new JsonlFileStore(path),
      signer: {
        sign: (s) => signStatement(s, builderSigner),
        actor: { kind: 'key', keyId: builderSigner.keyId },
      },
      trust: {
        checker: createBundleVerifier(
          publicGoodTrust(),
          keyTrust({ keys: parsePublicKeys(builder.publicKeyPem, 'b'), rootNamed: false }),
        ),
      },
    };
    const source = [{ name: `git+${REPOSITORY}`, digest: { gitCommit: SHA } }];
    await recordStep({ stage: 'source', subjects: source, run, policy }, ports);
    const app = [{ name: 'dist/app.tar', digest: { sha256: APP_SHA } }];
    for (const stage of ['build', 'test'])
      await recordStep({ stage, subjects: app, run, policy }, ports);
    return path;
  }

  /** The scan stage through the attest-step action, its run: command supervised. */
  async function scan(path: string, command: string) {
    const all = {
      ...env(),
      INPUT_STAGE: 'scan',
      INPUT_CHAIN: path,
      INPUT_POLICY: policyPath,
      INPUT_SIGNING: 'key',
      'INPUT_SIGNING-KEY': builder.privateKeyPem,
      'INPUT_SUBJECT-PATH': 'dist/app.tar',
      INPUT_RUN: command,
    };
    const io = recordingIO();
    await runAttestStep(readAttestInputs(all), {
      env: all,
      fetch: globalThis.fetch,
      io,
      collectSubjects: (sources, workspace) => collectSubjects(sources, { workspace }),
      openChain: (p) => new JsonlFileStore(p),
      pushToRegistry: () => Promise.reject(new Error('no registry in this test')),
      runCommand: superviseScript,
      commandIsolation: supervisorIsolation,
    });
    return io;
  }

  /** gate-deploy with its deploy command supervised, as the action's entry point runs it. */
  async function gate(path: string, command: string) {
    const all = {
      ...env(),
      INPUT_CHAIN: path,
      INPUT_POLICY: policyPath,
      INPUT_ENVIRONMENT: 'production',
      'INPUT_ARTIFACT-PATH': 'dist/app.tar',
      INPUT_RUN: command,
      INPUT_SIGNING: 'key',
      'INPUT_SIGNING-KEY': gateKeys.privateKeyPem,
      'INPUT_VERIFY-KEYS': join(work, 'builder.pub'),
      'INPUT_GITHUB-TOKEN': 'ghs_test',
    };
    const io = recordingIO();
    const before = github.requests.length;
    await runGate(readGateInputs(all), {
      env: all,
      fetch: globalThis.fetch,
      io,
      openChain: (p) => new JsonlFileStore(p),
      hashArtifacts: (paths) =>
        Promise.resolve(
          paths.map((p) => ({
            name: p,
            digests: [{ algorithm: 'sha256' as const, hex: APP_SHA }],
          })),
        ),
      runDeploy: superviseScript,
      deployIsolation: supervisorIsolation,
      mask: () => undefined,
      now: () => new Date(),
    });
    const tokens = github.requests.slice(before).filter((r) => r.startsWith('/oidc/token'));
    return { io, tokens };
  }

  const call = (port: number) => `curl -sS --max-time 5 http://127.0.0.1:${port}/`;

  void it('a scan whose command reached a denied host is recorded with the finding; the gate denies on it', async () => {
    const path = await chainToTest();
    const deniedBefore = denied.connections();
    const io = await scan(path, `${call(allowed.port)}; ${call(denied.port)} || echo refused`);
    assert.deepEqual(io.failures, [], 'block mode refuses the connection, the step goes on');
    assert.equal(denied.connections(), deniedBefore, 'the denied server never saw a connection');
    const scanRecord = records(path).find((r) => r.stage === 'scan');
    const anomaly = scanRecord?.observations?.anomaly;
    assert.ok(anomaly, 'the scan record carries observations.anomaly');
    assert.deepEqual(
      anomaly.findings.map((f) => [f.kind, f.host]),
      [['blocked-host', `127.0.0.1:${denied.port}`]],
    );
    assert.ok(anomaly.sandbox, 'the sandbox level used is recorded');

    const gated = await gate(path, 'true');
    assert.equal(gated.io.outputs.get('decision'), 'deny');
    assert.match(gated.io.failures.join('\n'), /sathos:anomaly.*scan/);
    assert.deepEqual(gated.tokens, [], 'no deploy token was requested');
  });

  void it("an honest chain deploys; the deploy command's refused connection is in the deploy record", async () => {
    const path = await chainToTest();
    assert.deepEqual((await scan(path, call(allowed.port))).failures, []);
    const scanRecord = records(path).find((r) => r.stage === 'scan');
    assert.deepEqual(scanRecord?.observations?.anomaly?.findings, []);
    const deniedBefore = denied.connections();
    const gated = await gate(path, `${call(denied.port)} || true`);
    assert.deepEqual(gated.io.failures, []);
    assert.equal(gated.io.outputs.get('decision'), 'allow');
    assert.equal(gated.tokens.length, 1);
    assert.equal(denied.connections(), deniedBefore);
    const deploy = records(path).at(-1);
    assert.equal(deploy?.stage, 'deploy');
    assert.deepEqual(
      deploy.observations?.anomaly?.findings.map((f) => f.kind),
      ['blocked-host'],
    );
  });
});
