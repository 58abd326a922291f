// The commits a source step must cover, against a real git repository with real SSH signatures:
// a head outside the range is verified too, and a run commit that is neither the verified head nor
// GitHub's test merge of it is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommitPolicy } from '@sathos/core';
import { assertRunCommitCovered, verifyCommitsWithHead } from '@sathos/core';
import { openGitRepository } from '@sathos/node';

const EMAIL = 'alice@example.com';

/** A throwaway repository whose commits are signed with one SSH key unless asked not to be. */
class Repo {
  readonly root = mkdtempSync(join(tmpdir(), 'sathos-coverage-'));
  readonly dir = join(this.root, 'repo');
  readonly allowedSigners: string;
  private readonly env: NodeJS.ProcessEnv;
  private count = 0;

  constructor() {
    const key = join(this.root, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const [type, body] = readFileSync(`${key}.pub`, 'utf8').split(' ');
    this.allowedSigners = `${EMAIL} ${type ?? ''} ${body ?? ''}\n`;
    this.env = {
      PATH: process.env.PATH,
      HOME: this.root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: join(this.root, 'gitconfig'),
      GIT_AUTHOR_NAME: 'Alice',
      GIT_AUTHOR_EMAIL: EMAIL,
      GIT_COMMITTER_NAME: 'Alice',
      GIT_COMMITTER_EMAIL: EMAIL,
    };
    execFileSync('git', ['init', '-q', '-b', 'main', this.dir], { env: this.env });
    this.git(['config', 'gpg.format', 'ssh']);
    this.git(['config', 'user.signingkey', key]);
  }

  git(args: readonly string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env: this.env, encoding: 'utf8' }).trim();
  }

  commit(signed = true, parents: readonly string[] = []): string {
    this.count += 1;
    writeFileSync(join(this.dir, 'file.txt'), `change ${this.count}\n`);
    this.git(['add', 'file.txt']);
    if (parents.length > 1) {
      const tree = this.git(['write-tree']);
      const args = ['commit-tree', ...(signed ? ['-S'] : []), tree, '-m', `merge ${this.count}`];
      return this.git([...args, ...parents.flatMap((p) => ['-p', p])]);
    }
    this.git(['commit', '-q', signed ? '-S' : '--no-gpg-sign', '-m', `change ${this.count}`]);
    return this.git(['rev-parse', 'HEAD']);
  }

  policy(): CommitPolicy {
    return {
      signers: { allowedSigners: this.allowedSigners },
      protectedPaths: [],
      allowMergeCommits: true,
      allowWebFlow: false,
    };
  }
}

describe('commit coverage', () => {
  let repo: Repo;
  let base: string;
  let signed: string;
  let unsignedHead: string;
  before(() => {
    repo = new Repo();
    base = repo.commit();
    signed = repo.commit();
    repo.git(['checkout', '-q', '-b', 'side', base]);
    unsignedHead = repo.commit(false);
  });
  after(() => {
    rmSync(repo.root, { recursive: true, force: true });
  });

  const verify = (range: { base: string; head: string }, head: string) =>
    verifyCommitsWithHead(
      {
        git: openGitRepository(repo.dir),
        range: { kind: 'range', ...range },
        policy: repo.policy(),
        now: new Date(),
      },
      head,
    );

  it('verifies a range that holds the head, with no note', async () => {
    const covered = await verify({ base, head: signed }, signed);
    assert.equal(covered.result.verified, true, covered.result.reason);
    assert.equal(covered.headId, signed);
    assert.equal(covered.note, undefined);
  });

  it('attack: a range that leaves out an unsigned head still verifies the head, and rejects it', async () => {
    const covered = await verify({ base, head: signed }, unsignedHead);
    assert.equal(covered.result.verified, false);
    const verdict = covered.result.commits.find((v) => v.commit === unsignedHead);
    assert.ok(verdict !== undefined, 'the head was verified');
    assert.notEqual(verdict.verdict, 'verified');
    assert.match(covered.note ?? '', /so it was verified as well/);
  });

  it('attack: an empty range does not pass for a verified one; the head is verified alone', async () => {
    const covered = await verify({ base: signed, head: signed }, unsignedHead);
    assert.equal(covered.result.verified, false);
    assert.deepEqual(
      covered.result.commits.map((v) => v.commit),
      [unsignedHead],
    );
  });

  it('refuses a head the repository does not hold', async () => {
    await assert.rejects(verify({ base, head: signed }, 'f'.repeat(40)), {
      code: 'RANGE_UNVERIFIABLE',
    });
  });

  it("accepts the run commit when it is the head, or GitHub's test merge of it", async () => {
    const git = openGitRepository(repo.dir);
    await assertRunCommitCovered(git, signed, signed);
    const testMerge = repo.commit(true, [base, signed]);
    await assertRunCommitCovered(git, testMerge, signed);
  });

  it('attack: a run commit that is neither the head nor its test merge is refused', async () => {
    const git = openGitRepository(repo.dir);
    await assert.rejects(assertRunCommitCovered(git, unsignedHead, signed), {
      code: 'RANGE_UNVERIFIABLE',
      message: /neither the verified head/,
    });
    // A merge with the head as its FIRST parent smuggles the other side in unverified.
    const swapped = repo.commit(true, [signed, unsignedHead]);
    await assert.rejects(assertRunCommitCovered(git, swapped, signed), {
      code: 'RANGE_UNVERIFIABLE',
    });
    // An octopus naming the head second still brings a third, unchecked parent.
    const octopus = repo.commit(true, [base, signed, unsignedHead]);
    await assert.rejects(assertRunCommitCovered(git, octopus, signed), {
      code: 'RANGE_UNVERIFIABLE',
    });
  });

  it('refuses a run commit the repository does not hold', async () => {
    const git = openGitRepository(repo.dir);
    await assert.rejects(assertRunCommitCovered(git, 'e'.repeat(40), signed), {
      code: 'RANGE_UNVERIFIABLE',
    });
  });
});
