// gate-deploy run in-process as the runner would (INPUT_* and GITHUB_* variables, the GitHub
// stand-in for the REST API and the runner's OIDC token endpoint, the chain on disk, a real bash
// deploy command): the honest chain deploys with a token for the environment's audience, masked,
// in the command's environment alone; each attack and each deny fails the step with its reasons in
// the summary, and the token endpoint's log shows no deploy token was ever requested.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
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
import { readRunContext, recordingIO, runBinding, runCommand } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { JsonlFileStore } from '@sathos/node';
import { readGateInputs } from '../../../actions/gate-deploy/src/inputs.js';
import { runGate, type GateRuntime } from '../../../actions/gate-deploy/src/main.js';

const REPOSITORY = 'octo-org/octo-repo';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const OTHER_SHA = 'fedcba9876543210fedcba9876543210fedcba98';
const builder = generateSigningKeyPair();
const gateKeys = generateSigningKeyPair();
const builderSigner = keySigner({ privateKeyPem: builder.privateKeyPem });
const gateSigner = keySigner({ privateKeyPem: gateKeys.privateKeyPem });
const APP = 'the release\n';
const APP_SHA = createHash('sha256').update(APP).digest('hex');
const REQUEST_TOKEN = 'runner-request-token';

const POLICY = `apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, scan, decision, deploy]
identities:
${['source', 'build', 'test', 'scan'].map((s) => `  ${s}: [{ keyId: "${builderSigner.keyId}" }]`).join('\n')}
  decision: [{ keyId: "${gateSigner.keyId}" }]
  deploy: [{ keyId: "${gateSigner.keyId}" }]
environments:
  production:
    requiredStages: [source, build, test, scan, decision]
    approvals: { required: 1 }
  frozen:
    changeWindows:
      freezes: [{ from: "2000-01-01T00:00:00Z", until: "2100-01-01T00:00:00Z", reason: never }]
`;

/** A JWT-shaped token naming its audience, so the test sees which audience was asked for. */
const fakeToken = (aud: string) =>
  ['e30', Buffer.from(JSON.stringify({ aud })).toString('base64url'), 'sig'].join('.');

void describe('gate-deploy', () => {
  let work: string;
  let github: GitHubStandIn;
  let n = 0;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sathos-gate-action-'));
    mkdirSync(join(work, 'workspace', 'dist'), { recursive: true });
    writeFileSync(join(work, 'workspace', 'dist', 'app.tar'), APP);
    writeFileSync(join(work, 'policy.yaml'), POLICY);
    writeFileSync(join(work, 'builder.pub'), builder.publicKeyPem);
    writeFileSync(
      join(work, 'event.json'),
      JSON.stringify({ repository: { visibility: 'public' } }),
    );
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      idTokenRequestToken: REQUEST_TOKEN,
      issueIdToken: fakeToken,
      runApprovals: {
        [`${REPOSITORY}#4242`]: [
          { user: { login: 'alice' }, state: 'approved', environments: [{ name: 'production' }] },
        ],
        [`${REPOSITORY}#4243`]: [],
      },
      // PR 7 was approved at another commit than the one this run deploys; PR 8 at this one.
      pullRequests: { [`${REPOSITORY}#7`]: [OTHER_SHA], [`${REPOSITORY}#8`]: [SHA] },
      pullReviews: {
        [`${REPOSITORY}#7`]: [
          { user: { login: 'carol' }, state: 'APPROVED', commit_id: OTHER_SHA },
        ],
        [`${REPOSITORY}#8`]: [{ user: { login: 'carol' }, state: 'APPROVED', commit_id: SHA }],
      },
    });
  });
  after(async () => {
    await github.close();
    rmSync(work, { recursive: true, force: true });
  });

  const env = (runId = '4242') => ({
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_WORKFLOW_REF: `${REPOSITORY}/.github/workflows/release.yml@refs/heads/main`,
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: SHA,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: join(work, 'event.json'),
    GITHUB_API_URL: github.apiUrl,
    GITHUB_WORKSPACE: join(work, 'workspace'),
    ACTIONS_ID_TOKEN_REQUEST_URL: github.idTokenRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    PATH: process.env.PATH ?? '',
  });

  /** source → scan of the run, signed by the builder key; returns the chain path. */
  async function chain(runId = '4242'): Promise<string> {
    const path = join(work, `chain-${(n += 1)}.jsonl`);
    const run = runBinding(readRunContext(env(runId)));
    const policy = parsePolicy(POLICY, 'policy.yaml');
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
    for (const stage of ['build', 'test', 'scan'])
      await recordStep({ stage, subjects: app, run, policy }, ports);
    return path;
  }

  /** Runs the action; returns what it recorded and whether a deploy token was requested. */
  async function gate(
    path: string,
    extra: Record<string, string> = {},
    runId = '4242',
    exposure?: string,
  ) {
    const marker = join(work, `deployed-${n}`);
    const inputs = {
      INPUT_CHAIN: path,
      INPUT_POLICY: join(work, 'policy.yaml'),
      INPUT_ENVIRONMENT: 'production',
      'INPUT_ARTIFACT-PATH': 'dist/app.tar',
      INPUT_RUN: `env > "${marker}"`,
      INPUT_SIGNING: 'key',
      'INPUT_SIGNING-KEY': gateKeys.privateKeyPem,
      'INPUT_VERIFY-KEYS': join(work, 'builder.pub'),
      'INPUT_GITHUB-TOKEN': 'ghs_test',
      ...extra,
    };
    const all = { ...env(runId), ...inputs };
    const io = recordingIO();
    const masked: string[] = [];
    const runtime: GateRuntime = {
      env: all,
      fetch: globalThis.fetch,
      io,
      openChain: (p) => new JsonlFileStore(p),
      hashArtifacts: (paths, workspace) =>
        Promise.resolve(
          paths.map((p) => ({
            name: p,
            digests: [
              {
                algorithm: 'sha256' as const,
                hex: createHash('sha256')
                  .update(readFileSync(join(workspace, p)))
                  .digest('hex'),
              },
            ],
          })),
        ),
      runDeploy: runCommand,
      deployIsolation: () => Promise.resolve(exposure),
      mask: (s) => masked.push(s),
      now: () => new Date(),
    };
    const before = github.requests.length;
    await runGate(readGateInputs(all), runtime);
    const tokenRequests = github.requests.slice(before).filter((r) => r.startsWith('/oidc/token'));
    const deployedEnv = existsSync(marker) ? readFileSync(marker, 'utf8') : undefined;
    return { io, masked, tokenRequests, deployedEnv, lines: () => readFileSync(path, 'utf8') };
  }

  /** Denied: the step failed with reasons in the summary, no token asked for, nothing deployed. */
  function assertDenied(result: Awaited<ReturnType<typeof gate>>, reason: RegExp) {
    assert.equal(result.io.failures.length, 1);
    assert.equal(result.io.outputs.get('decision'), 'deny');
    assert.deepEqual(result.tokenRequests, [], 'no token was requested');
    assert.equal(result.deployedEnv, undefined, 'the deploy command did not run');
    const summary = result.io.summaries.at(-1);
    assert.match(summary?.heading ?? '', /denied/);
    assert.match(summary?.lines.join('\n') ?? '', reason);
    assert.match(summary?.lines.join('\n') ?? '', /No token was requested/);
  }

  void it('deploys the honest chain with a masked token for the environment, to the command alone', async () => {
    const path = await chain();
    const result = await gate(path);
    assert.deepEqual(result.io.failures, []);
    assert.equal(result.io.outputs.get('decision'), 'allow');
    assert.deepEqual(result.tokenRequests.length, 1);
    assert.match(result.tokenRequests[0] ?? '', /audience=sathos-deploy%3Aproduction/);
    const token = fakeToken('sathos-deploy:production');
    assert.deepEqual(result.masked, [token]);
    const seen = result.deployedEnv ?? '';
    assert.match(seen, new RegExp(`^SATHOS_DEPLOY_TOKEN=${token.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(seen, /^SATHOS_ENVIRONMENT=production$/m);
    assert.doesNotMatch(seen, /INPUT_|ACTIONS_ID_TOKEN_REQUEST|BEGIN PRIVATE KEY/);
    assert.equal(
      result.lines().trim().split('\n').length,
      4 + 2 + 1,
      'the decision, its summary, the deploy',
    );
    assert.match(result.io.outputs.get('record-digest') ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  void it('attack: a record altered between jobs — denied, nothing appended, no token', async () => {
    const path = await chain();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    lines[3] = (lines[3] ?? '').replace(
      /"sig":"(.)/,
      (_, c: string) => `"sig":"${c === 'A' ? 'B' : 'A'}`,
    );
    writeFileSync(path, `${lines.join('\n')}\n`);
    const result = await gate(path);
    assertDenied(result, /SIGNATURE_INVALID|signature/i);
    assert.equal(result.lines(), `${lines.join('\n')}\n`);
  });

  void it('attack: the scan stage removed, or a record of another run spliced in — denied', async () => {
    const cut = await chain();
    const lines = readFileSync(cut, 'utf8').trim().split('\n');
    writeFileSync(cut, `${lines.slice(0, 3).join('\n')}\n`);
    assertDenied(await gate(cut), /INCOMPLETE_CHAIN/);
    const spliced = await chain();
    const other = readFileSync(await chain('4243'), 'utf8')
      .trim()
      .split('\n');
    writeFileSync(spliced, `${readFileSync(spliced, 'utf8')}${other.at(-1) ?? ''}\n`);
    assertDenied(await gate(spliced), /RUN_MISMATCH|CHAIN|run/);
  });

  void it('denies an undeclared environment, a freeze, a missing approval — recorded, no token', async () => {
    assertDenied(await gate(await chain(), { INPUT_ENVIRONMENT: 'moon' }), /sathos:environment/);
    assertDenied(
      await gate(await chain(), { INPUT_ENVIRONMENT: 'frozen' }),
      /sathos:change-window.*never/,
    );
    const unapproved = await gate(await chain('4243'), {}, '4243');
    assertDenied(unapproved, /sathos:approvals.*0 found/);
    assert.match(
      unapproved.io.outputs.get('record-digest') ?? '',
      /^sha256:/,
      'the deny is recorded',
    );
  });

  void it("attack: the run's actor approving their own deployment is not counted — denied, no token", async () => {
    // alice is the run's only approver; she also started the run (or re-ran it, in another case).
    const self = await gate(await chain(), { GITHUB_ACTOR: 'alice' });
    assertDenied(self, /sathos:approvals.*0 found/);
    const rerun = await gate(await chain(), {
      GITHUB_ACTOR: 'bob',
      GITHUB_TRIGGERING_ACTOR: 'ALICE',
    });
    assertDenied(rerun, /sathos:approvals.*0 found/);
    const other = await gate(await chain(), { GITHUB_ACTOR: 'bob' });
    assert.equal(other.io.outputs.get('decision'), 'allow', "someone else's approval counts");
  });

  void it("attack: a deploy command that could read the gate's process is not started — refused before deciding, no token", async () => {
    const path = await chain();
    const before = readFileSync(path, 'utf8');
    const result = await gate(path, {}, '4242', 'the proxy-env sandbox here (no user namespaces)');
    assertDenied(result, /could read the gate's signing key.*proxy-env/);
    assert.equal(result.lines(), before, 'nothing was decided or appended');
  });

  void it("attack: a pull request approved at another commit than the run's does not approve the deploy — denied, no token", async () => {
    // Run 4243 has no environment approval; PR 7 is approved, but its head is not what deploys.
    const unrelated = await gate(
      await chain('4243'),
      { INPUT_APPROVALS: 'pull-request:7' },
      '4243',
    );
    assertDenied(
      unrelated,
      /pull request #7's head is fedcba987654.*this run deploys 0123456789ab/,
    );
    const reviewed = await gate(await chain('4243'), { INPUT_APPROVALS: 'pull-request:8' }, '4243');
    assert.equal(reviewed.io.outputs.get('decision'), 'allow', "the run's own commit, approved");
  });

  void it('a failing deploy command fails the step after the allow; no deploy record', async () => {
    const path = await chain();
    const result = await gate(path, { INPUT_RUN: 'exit 3' });
    assert.equal(result.io.failures.length, 1);
    assert.match(result.io.failures[0] ?? '', /COMMAND_FAILED.*exited 3/);
    assert.equal(result.io.outputs.get('decision'), 'allow');
    assert.equal(
      result.lines().trim().split('\n').length,
      4 + 2,
      'the decision and its summary only',
    );
  });
});
