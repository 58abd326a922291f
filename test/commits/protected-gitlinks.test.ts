// Submodules (gitlinks, mode 160000) at or above a protected path: a gitlink `deploy` makes a checkout
// with submodules fill `deploy/` — `deploy/release.sh` included — from another repository, so adding
// or moving it changes what `deploy/*.sh` holds although the only changed path, `deploy`, matches no
// pattern. The rule: a changed gitlink touches every set whose pattern base lies at, under or above it.
// Each case builds the gitlink in a real repository.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CommitPolicy, CommitsVerification } from '@sathos/core';
import { verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { TestRepo, allowedSignersLine, type SshKeyFiles } from './repo-builder.js';

describe('gitlinks (submodules) at or above protected paths', () => {
  let repo: TestRepo;
  let dev: SshKeyFiles;
  let lead: SshKeyFiles;
  let policy: CommitPolicy;
  /** A commit id the gitlinks point at (any id: git never reads a submodule's commit). */
  let target: string;

  const verify = (commit: string): Promise<CommitsVerification> =>
    verifyCommits({
      git: openGitRepository(repo.dir),
      range: { kind: 'list', commits: [commit] },
      policy,
      now: new Date(),
    });
  /** A commit by dev that adds (or repoints) a gitlink at `path`, with a .gitmodules naming its URL. */
  const gitlinkByDev = (path: string, commit: string): string => {
    repo.git(['update-index', '--add', '--cacheinfo', `160000,${commit},${path}`]);
    return repo.commit({
      signing: { ssh: dev.privatePath },
      email: 'dev@example.com',
      files: {
        '.gitmodules': `[submodule "x"]\n\tpath = ${path}\n\turl = https://evil.invalid/x\n`,
      },
    });
  };
  const assertProtected = (result: CommitsVerification, set: string): void => {
    const [verdict] = result.commits;
    assert.ok(verdict);
    assert.equal(verdict.verdict, 'rejected', verdict.reason);
    // `**/*.tf` is touched too wherever the gitlink stands: the submodule may hold .tf files.
    assert.ok(
      verdict.protectedPaths?.includes(set),
      `${set} among ${String(verdict.protectedPaths)}`,
    );
    assert.match(verdict.reason, /not allowed by commits\.protectedPaths\[\d\]/);
  };

  before(() => {
    repo = TestRepo.create();
    dev = repo.sshKey('dev');
    lead = repo.sshKey('lead');
    const leadOnly = allowedSignersLine('lead@example.com', lead);
    policy = {
      signers: {
        allowedSigners:
          allowedSignersLine('dev@example.com', dev) + allowedSignersLine('lead@example.com', lead),
      },
      protectedPaths: [
        { paths: ['deploy/*.sh'], allowedSigners: leadOnly },
        { paths: ['.github/workflows/*.yml'], allowedSigners: leadOnly },
        { paths: ['**/*.tf'], allowedSigners: leadOnly },
      ],
      allowMergeCommits: false,
      allowWebFlow: false,
    };
    target = repo.commit({ signing: { none: true }, files: { 'README.md': 'hello\n' } });
  });
  after(() => {
    repo.dispose();
  });

  it('treats a gitlink standing on a pattern base (deploy for deploy/*.sh) as a protected change', async () => {
    assertProtected(await verify(gitlinkByDev('deploy', target)), 'deploy/*.sh');
  });

  it('treats a gitlink above a pattern base (.github for .github/workflows/*.yml) as a protected change', async () => {
    assertProtected(await verify(gitlinkByDev('.GitHub', target)), '.github/workflows/*.yml');
  });

  it('treats a gitlink anywhere as a change to a pattern of the whole tree (**/*.tf)', async () => {
    assertProtected(await verify(gitlinkByDev('modules/network', target)), '**/*.tf');
  });

  it('still lets dev add a gitlink that no pattern can reach into', async () => {
    const narrow: CommitPolicy = {
      ...policy,
      protectedPaths: policy.protectedPaths.filter((p) => p.paths[0] !== '**/*.tf'),
    };
    const commit = gitlinkByDev('vendor/lib', target);
    const result = await verifyCommits({
      git: openGitRepository(repo.dir),
      range: { kind: 'list', commits: [commit] },
      policy: narrow,
      now: new Date(),
    });
    assert.equal(result.verified, true, result.reason);
    assert.equal(result.commits[0]?.protectedPaths, undefined);
  });
});
