// The CommitPolicy's stricter rules with real repositories: protected paths need their own signers,
// merges and GitHub web-flow commits pass only when allowed, and a path cannot hide among commit ids.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitPolicy, CommitsVerification } from '@sathos/core';
import { verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { TestRepo, allowedSignersLine, type SshKeyFiles } from './repo-builder.js';

describe('commit policy', () => {
  let repo: TestRepo;
  let dev: SshKeyFiles;
  let lead: SshKeyFiles;
  let policy: CommitPolicy;

  const verify = (commits: string[], p: CommitPolicy = policy): Promise<CommitsVerification> =>
    verifyCommits({
      git: openGitRepository(repo.dir),
      range: { kind: 'list', commits },
      policy: p,
      now: new Date(),
    });

  before(() => {
    repo = TestRepo.create();
    dev = repo.sshKey('dev');
    lead = repo.sshKey('lead');
    policy = {
      signers: {
        allowedSigners:
          allowedSignersLine('dev@example.com', dev) + allowedSignersLine('lead@example.com', lead),
      },
      protectedPaths: [
        {
          paths: ['.github/workflows/**', 'infra/**'],
          allowedSigners: allowedSignersLine('lead@example.com', lead),
        },
      ],
      allowMergeCommits: false,
      allowWebFlow: false,
    };
    repo.commit({ signing: { none: true }, files: { '.github/workflows/ci.yml': 'on: push\n' } });
  });
  after(() => {
    repo.dispose();
  });

  describe('when a commit touches a protected path', () => {
    it('rejects a signer allowed in general but not for those paths', async () => {
      const bad = repo.commit({
        signing: { ssh: dev.privatePath },
        email: 'dev@example.com',
        files: { '.github/workflows/ci.yml': 'on: [push, pull_request]\n' },
      });
      const result = await verify([bad]);
      assert.equal(result.verified, false);
      const verdict = result.commits[0];
      assert.ok(verdict);
      assert.equal(verdict.verdict, 'rejected');
      assert.match(verdict.reason, /not allowed by commits\.protectedPaths\[0\]/);
      assert.deepEqual(verdict.protectedPaths, ['.github/workflows/**', 'infra/**']);
    });

    it('rejects a deletion of a protected file too', async () => {
      repo.git(['rm', '-q', '.github/workflows/ci.yml']);
      const bad = repo.commit({
        signing: { ssh: dev.privatePath },
        email: 'dev@example.com',
        files: {},
      });
      const result = await verify([bad]);
      assert.equal(result.commits[0]?.verdict, 'rejected');
    });

    it('accepts the stricter set’s signer', async () => {
      const ok = repo.commit({
        signing: { ssh: lead.privatePath },
        email: 'lead@example.com',
        files: { 'infra/main.tf': 'resource {}\n', 'INFRA/x': 'case\n' },
      });
      const result = await verify([ok]);
      assert.equal(result.verified, true, result.reason);
      assert.match(
        result.commits[0]?.reason ?? '',
        /protected paths: commits\.protectedPaths\[0\]/,
      );
    });

    it('accepts the general signer on other paths', async () => {
      const ok = repo.commit({
        signing: { ssh: dev.privatePath },
        email: 'dev@example.com',
        files: { 'src/app.ts': 'export {};\n' },
      });
      const result = await verify([ok]);
      assert.equal(result.verified, true, result.reason);
      assert.equal(result.commits[0]?.protectedPaths, undefined);
    });

    it('is not fooled by a file named like another commit of the list', async () => {
      const other = repo.commit({ signing: { ssh: dev.privatePath }, email: 'dev@example.com' });
      const bad = repo.commit({
        signing: { ssh: dev.privatePath },
        email: 'dev@example.com',
        files: { [other]: 'x\n', 'infra/secret.tf': 'y\n' },
      });
      const result = await verify([bad, other]);
      assert.equal(result.commits[0]?.verdict, 'rejected');
      assert.equal(result.commits[1]?.verdict, 'verified');
    });
  });

  describe('when merge commits are allowed', () => {
    it('verifies a signed merge', async () => {
      repo.git(['checkout', '-q', '-b', 'topic']);
      repo.commit({ signing: { ssh: dev.privatePath }, email: 'dev@example.com' });
      repo.git(['checkout', '-q', 'main']);
      repo.commit({ signing: { ssh: dev.privatePath }, email: 'dev@example.com' });
      const merge = repo.merge('topic', { ssh: dev.privatePath }, { email: 'dev@example.com' });
      assert.equal((await verify([merge])).commits[0]?.verdict, 'rejected');
      const allowed = await verify([merge], { ...policy, allowMergeCommits: true });
      assert.equal(allowed.verified, true, allowed.reason);
    });
  });

  describe("when a commit was made with GitHub's web flow", () => {
    let webFlow: string;
    let keys: string;
    before(() => {
      const fpr = repo.gpgKey('GitHub <noreply@github.com>', 'rsa3072');
      keys = repo.gpgPublicKey(fpr);
      webFlow = repo.commit({ signing: { gpg: fpr }, name: 'GitHub', email: 'noreply@github.com' });
    });

    it('rejects it unless allowWebFlow, even when the key is listed', async () => {
      const p: CommitPolicy = { ...policy, signers: { pgpKeys: keys } };
      const result = await verify([webFlow], p);
      assert.match(result.commits[0]?.reason ?? '', /web flow.*allowWebFlow/);
      const allowed = await verify([webFlow], { ...p, allowWebFlow: true });
      assert.equal(allowed.verified, true, allowed.reason);
    });

    it('rejects it with allowWebFlow when the web-flow key is not in pgpKeys', async () => {
      const result = await verify([webFlow], { ...policy, allowWebFlow: true });
      assert.equal(result.commits[0]?.verdict, 'rejected');
    });
  });

  describe('when the policy file names the signers (sathos verify-commits --policy)', () => {
    it('applies its protected paths and exits 1 naming the commit', async () => {
      const bad = repo.commit({
        signing: { ssh: dev.privatePath },
        email: 'dev@example.com',
        files: { 'infra/db.tf': 'db\n' },
      });
      const indent = (text: string): string => text.trimEnd().replace(/^/gm, '        ');
      const yaml = [
        'apiVersion: sathos.dev/v1',
        'kind: Policy',
        'metadata: { name: commits }',
        'stages: [source]',
        'identities:',
        '  source: [{ keyId: "sha256:' + 'b'.repeat(64) + '" }]',
        'commits:',
        '  signers:',
        '    allowedSigners: |',
        indent(policy.signers.allowedSigners ?? '').replace(/^ {2}/gm, ''),
        '  protectedPaths:',
        '    - paths: ["infra/**"]',
        '      allowedSigners: |',
        indent(allowedSignersLine('lead@example.com', lead)),
        '  allowMergeCommits: false',
        '  allowWebFlow: false',
        '',
      ].join('\n');
      const file = join(repo.home, 'policy.yaml');
      writeFileSync(file, yaml);
      let out = '';
      const code = await runCli(
        ['verify-commits', bad, '--repo', repo.dir, '--policy', file, '--json'],
        {
          out: (t) => (out += t),
          err: () => undefined,
        },
      );
      const json = JSON.parse(out) as { code: string; reason: string };
      assert.equal(code, 1, json.reason);
      assert.equal(json.code, 'COMMIT_REJECTED');
      assert.ok(json.reason.includes(bad.slice(0, 12)));
      assert.match(json.reason, /protectedPaths\[0\]/);
    });
  });
});
