// A hostile repository's own .git/config, built for real: it declares itself a partial clone whose
// "promisor remote" git fetches any missing object from by itself — `git cat-file`, which the verifier
// runs, included — and names a transport that runs a command (core.sshCommand, an upload-pack
// program, an ext:: remote). A commit of the range whose parent is missing makes plain git run it;
// the verifier forbids every transport, so the command never runs and the range is refused.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CommitPolicy } from '@sathos/core';
import { isSathosError, verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { openGitSource } from '@sathos/github/posture';
import { TestRepo, allowedSignersLine } from './repo-builder.js';

/** Git config (key, value) pairs that make `marker` appear when git lazily fetches. */
type Transport = (marker: string, repoDir: string) => [string, string][];

const TRANSPORTS: Readonly<Record<string, Transport>> = {
  'core.sshCommand with an ssh:// promisor remote': (marker) => [
    ['remote.origin.url', 'ssh://example.invalid/repo'],
    ['core.sshCommand', `touch ${marker}; false`],
    ['protocol.ssh.allow', 'always'],
  ],
  'remote.origin.uploadpack with a local-path promisor remote': (marker, repoDir) => [
    ['remote.origin.url', repoDir],
    ['remote.origin.uploadpack', `touch ${marker}; false`],
    ['protocol.file.allow', 'always'],
  ],
  'an ext:: promisor remote allowed by protocol.ext.allow': (marker) => [
    ['remote.origin.url', `ext::sh -c touch% ${marker}`],
    ['protocol.ext.allow', 'always'],
    ['protocol.allow', 'always'],
  ],
};

/** Makes the repository a partial clone whose promisor remote uses `transport`. */
function makePromisor(repo: TestRepo, config: [string, string][]): void {
  repo.git(['config', 'core.repositoryformatversion', '1']);
  repo.git(['config', 'extensions.partialClone', 'origin']);
  repo.git(['config', 'remote.origin.promisor', 'true']);
  for (const [key, value] of config) repo.git(['config', key, value]);
}

/** Deletes a loose commit: the repository now lacks it, as a partial clone may. */
function dropObject(repo: TestRepo, id: string): void {
  rmSync(join(repo.dir, '.git', 'objects', id.slice(0, 2), id.slice(2)));
}

describe('a repository config that runs a command when git fetches a missing object', () => {
  const repos: TestRepo[] = [];
  after(() => {
    for (const r of repos) r.dispose();
  });

  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    it(`never runs: ${name}`, async () => {
      const repo = TestRepo.create();
      repos.push(repo);
      const alice = repo.sshKey('alice');
      const policy: CommitPolicy = {
        signers: { allowedSigners: allowedSignersLine('alice@example.com', alice) },
        protectedPaths: [],
        allowMergeCommits: false,
        allowWebFlow: false,
      };
      const base = repo.commit({ signing: { ssh: alice.privatePath } });
      const missing = repo.commit({ signing: { ssh: alice.privatePath } });
      const head = repo.commit({ signing: { ssh: alice.privatePath } });
      dropObject(repo, missing);
      const marker = join(repo.home, 'ran');
      makePromisor(repo, transport(marker, repo.dir));

      // Plain git runs the command: the attack is real.
      repo.git(['cat-file', '--batch-check'], {}, `${missing}\n`);
      assert.ok(existsSync(marker), 'plain git ran the configured command');
      rmSync(marker);

      await assert.rejects(
        verifyCommits({
          git: openGitRepository(repo.dir),
          range: { kind: 'range', base, head },
          policy,
          now: new Date(),
        }),
        (error: unknown) => isSathosError(error) && error.code === 'RANGE_UNVERIFIABLE',
      );
      assert.equal(existsSync(marker), false, 'the verifier made git run the command');
    });
  }

  it('never runs either when sathos posture reads a workflow whose blob is missing', async () => {
    const repo = TestRepo.create();
    repos.push(repo);
    repo.commit({ signing: { none: true }, files: { '.github/workflows/ci.yml': 'on: push\n' } });
    const blob = repo.git(['rev-parse', 'HEAD:.github/workflows/ci.yml']);
    dropObject(repo, blob);
    const marker = join(repo.home, 'ran');
    makePromisor(
      repo,
      TRANSPORTS['core.sshCommand with an ssh:// promisor remote']?.(marker, repo.dir) ?? [],
    );

    const source = await openGitSource(repo.dir);
    try {
      await source.read(['.github/workflows/ci.yml']).catch(() => undefined);
    } finally {
      source.close();
    }
    assert.equal(existsSync(marker), false, 'posture made git run the command');
  });
});
