// Signers from a policy file's commits: section, with a protected path that needs a stricter signer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordingIO, type RecordedIO } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { run } from '../../../actions/verify-commit-signature/src/main.js';
import { allowedSignersLine } from '../../commits/repo-builder.js';
import { ActionFixture } from './fixture.js';

/** YAML block-scalar content: every line indented by `spaces`. */
const block = (text: string, spaces: number) =>
  text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');

void describe('verify-commit-signature with a policy file', () => {
  let fx: ActionFixture;
  let policy: string;
  let ordinary: string;
  let workflowEdit: string;
  before(() => {
    fx = new ActionFixture();
    const alice = allowedSignersLine('alice@example.com', fx.alice, 'namespaces="git"');
    const mallory = allowedSignersLine('mallory@example.com', fx.mallory, 'namespaces="git"');
    policy = join(fx.work, 'policy.yml');
    writeFileSync(
      policy,
      [
        'apiVersion: sathos.dev/v1',
        'kind: Policy',
        'stages: [source]',
        'identities:',
        `  source: [{ keyId: "${fx.recordKey.keyId}" }]`,
        'commits:',
        '  signers:',
        '    allowedSigners: |',
        block(`${alice}${mallory}`, 6),
        '  protectedPaths:',
        '    - paths: [".github/workflows/**"]',
        '      allowedSigners: |',
        block(alice, 8),
        '',
      ].join('\n'),
    );
    const asMallory = { signing: { ssh: fx.mallory.privatePath }, email: 'mallory@example.com' };
    ordinary = fx.repo.commit({ ...asMallory, files: { 'src/app.js': 'export {};\n' } });
    workflowEdit = fx.repo.commit({
      ...asMallory,
      files: { '.github/workflows/ci.yml': 'on: push\n' },
    });
  });
  after(() => {
    fx.dispose();
  });

  const runRange = async (
    base: string,
    head: string,
    chain: string,
    path = policy,
    env: Record<string, string> = {},
  ): Promise<RecordedIO> => {
    const io = recordingIO();
    await run(
      fx.inputs({
        chain: fx.chainPath(chain),
        signers: { kind: 'policy', path },
        commits: { kind: 'range', base, head },
      }),
      { env: fx.env('workflow_dispatch', '', head, env), fetch, io },
    );
    return io;
  };

  void describe('when a commit outside the protected paths is signed by a policy signer', () => {
    void it('verifies it', async () => {
      const io = await runRange(fx.commits[2], ordinary, 'policy-ok');
      assert.deepEqual(io.failures, []);
      assert.equal(io.outputs.get('verified-commits'), JSON.stringify([ordinary]));
      assert.match(
        io.summaries[0]?.lines[0] ?? '',
        /against policy .*policy\.yml \(sha256:[0-9a-f]{64}\)/,
      );
    });
  });

  void describe('when the policy allows the source step', () => {
    void it('records its decision in the source record', async () => {
      await runRange(fx.commits[2], ordinary, 'policy-decision');
      const [line] = readFileSync(fx.chainPath('policy-decision'), 'utf8')
        .trim()
        .split('\n')
        .slice(-1);
      const bundle = JSON.parse(line ?? '') as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(
        Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'),
      ) as {
        predicate: { stage: string; policy?: { decision: string; digest: { sha256: string } } };
      };
      assert.equal(statement.predicate.stage, 'source');
      const recorded = statement.predicate.policy;
      assert.ok(recorded !== undefined, 'the source record carries a policy decision');
      assert.equal(recorded.decision, 'allow');
      assert.match(recorded.digest.sha256, /^[0-9a-f]{64}$/);
    });
  });

  void describe('when the policy does not let the job sign the source stage', () => {
    void it('records the denied source step (decision deny) and fails (docs/spec.md §5.2)', async () => {
      const other = join(fx.work, 'policy-other-signer.yml');
      writeFileSync(
        other,
        readFileSync(policy, 'utf8').replace(fx.recordKey.keyId, `sha256:${'a'.repeat(64)}`),
      );
      const io = await runRange(fx.commits[2], ordinary, 'policy-denied', other);
      assert.match(io.failures[0] ?? '', /^POLICY_DENIED: .*may not sign the source stage/);
      assert.equal(io.outputs.get('genesis-record'), undefined, 'no genesis is handed on');
      const lines = readFileSync(fx.chainPath('policy-denied'), 'utf8').trim().split('\n');
      assert.equal(lines.length, 2, 'the evidence and the denied record, signed');
      const record = lines
        .map((l) => JSON.parse(l) as { dsseEnvelope: { payload: string } })
        .map(
          (b) =>
            JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8')) as {
              predicate: { stage?: string; policy?: { decision: string } };
            },
        )
        .find((s) => s.predicate.stage === 'source');
      assert.equal(record?.predicate.policy?.decision, 'deny');
    });
  });

  void describe('when a commit touching a protected path lacks a signer of the stricter set', () => {
    void it('rejects it, names the commit, and writes no record', async () => {
      const io = await runRange(ordinary, workflowEdit, 'policy-protected');
      assert.match(io.failures[0] ?? '', /^COMMIT_REJECTED/);
      const errors = io.lines.filter((l) => l.level === 'error');
      assert.equal(errors.length, 1);
      assert.match(errors[0]?.line ?? '', new RegExp(`^commit ${workflowEdit}: .*protectedPaths`));
      assert.equal(existsSync(fx.chainPath('policy-protected')), false);
    });
  });

  void describe('when the policy has no commits: section', () => {
    void it('refuses: nobody may sign commits', async () => {
      const bare = join(fx.work, 'bare.yml');
      writeFileSync(
        bare,
        `apiVersion: sathos.dev/v1\nkind: Policy\nstages: [source]\nidentities:\n  source: [{ keyId: "sha256:${'a'.repeat(64)}" }]\n`,
      );
      const io = await runRange(fx.commits[2], ordinary, 'policy-bare', bare);
      assert.match(io.failures[0] ?? '', /^POLICY_INVALID: .*has no commits: section/);
    });
  });

  void describe('when the policy lives in another repository, pinned to a commit', () => {
    const PIN = 'c'.repeat(40);
    let github: GitHubStandIn;
    before(async () => {
      github = await startGitHubStandIn({
        apiToken: 'ghs_test',
        files: { [`octo-org/policies/sathos/policy.yml@${PIN}`]: readFileSync(policy, 'utf8') },
      });
    });
    after(async () => {
      await github.close();
    });

    void it('fetches it at that commit and applies its commits: section', async () => {
      const reference = `github:octo-org/policies/sathos/policy.yml@${PIN}`;
      const io = await runRange(ordinary, workflowEdit, 'remote', reference, {
        GITHUB_API_URL: github.apiUrl,
      });
      assert.ok(
        github.requests.includes(`/repos/octo-org/policies/contents/sathos/policy.yml?ref=${PIN}`),
      );
      assert.match(io.failures[0] ?? '', /^COMMIT_REJECTED/);
      assert.match(io.summaries[0]?.lines[0] ?? '', /contents\/sathos\/policy\.yml\?ref=c{40}/);
    });

    void it('refuses a reference pinned to a branch instead of a commit', async () => {
      const io = await runRange(
        ordinary,
        workflowEdit,
        'remote-branch',
        'github:octo-org/policies/sathos/policy.yml@main',
        {
          GITHUB_API_URL: github.apiUrl,
        },
      );
      assert.match(io.failures[0] ?? '', /^USAGE: .*not a full commit SHA/);
    });
  });
});
