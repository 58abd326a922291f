// The git adapter against hostile repositories: oversized objects, objects that are not commits and
// option-like revisions are refused with their codes, never read whole or passed to git; hostile tree
// objects (forged, duplicate names, a blob posing as a subtree) stop verification of protected paths.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { CommitPolicy } from '@sathos/core';
import { MAX_COMMIT_BYTES, SathosError, verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { TestRepo, allowedSignersLine } from './repo-builder.js';

function code(expected: string, line?: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, String(error));
    assert.equal(error.code, expected, error.line);
    if (line !== undefined) assert.match(error.line, line);
    return true;
  };
}

describe('openGitRepository', () => {
  let repo: TestRepo;
  before(() => {
    repo = TestRepo.create();
    repo.commit({ signing: { none: true }, files: { 'a.txt': 'a\n' } });
  });
  after(() => {
    repo.dispose();
  });

  describe('when the objects are ordinary', () => {
    it('reads many commits in one batch, in the order asked', async () => {
      const ids = [
        repo.commit({ signing: { none: true } }),
        repo.commit({ signing: { none: true } }),
      ];
      const git = openGitRepository(repo.dir);
      const raw = await git.readCommits([...ids].reverse());
      assert.deepEqual(
        raw.map((r) => r.id),
        [...ids].reverse(),
      );
      assert.equal(raw[0]?.raw.toString(), repo.raw(ids[1] ?? ''));
      assert.deepEqual(await git.resolveCommits(['HEAD', 'nope']), [ids[1], undefined]);
    });
  });

  describe('when an object is hostile', () => {
    it('refuses a commit object larger than the limit', async () => {
      const head = repo.raw(repo.head());
      const huge = repo.writeCommit(head.replace(/\n\n/, `\n\n${'x'.repeat(MAX_COMMIT_BYTES)}`));
      await assert.rejects(openGitRepository(repo.dir).readCommits([huge]), code('TOO_LARGE'));
    });

    it('refuses an object that is not a commit', async () => {
      const tree = repo.git(['rev-parse', 'HEAD^{tree}']);
      await assert.rejects(
        openGitRepository(repo.dir).readCommits([tree]),
        code('MALFORMED_COMMIT'),
      );
    });

    it('refuses an option-like revision without running git', async () => {
      await assert.rejects(
        openGitRepository(repo.dir).resolveCommits(['--output=/tmp/x']),
        code('USAGE'),
      );
    });

    it('reads the commit itself, not the object a replace ref substitutes for it', async () => {
      const base = repo.head();
      const substitute = repo.commit({ signing: { none: true }, message: 'substitute' });
      repo.git(['reset', '-q', '--hard', base]);
      const real = repo.commit({ signing: { none: true }, message: 'real' });
      repo.git(['replace', real, substitute]);
      try {
        const git = openGitRepository(repo.dir);
        const [read] = await git.readCommits([real]);
        assert.equal(
          read?.raw.toString(),
          repo.git(['--no-replace-objects', 'cat-file', 'commit', real]) + '\n',
        );
      } finally {
        repo.git(['replace', '-d', real]);
      }
    });

    it('refuses an object whose content does not hash to its id', async () => {
      const signedLike = repo.raw(repo.head());
      const forgedId = 'f'.repeat(40);
      const body = Buffer.from(signedLike);
      const object = Buffer.concat([Buffer.from(`commit ${body.length}\0`), body]);
      const dir = join(repo.dir, '.git', 'objects', forgedId.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, forgedId.slice(2)), deflateSync(object));
      await assert.rejects(
        openGitRepository(repo.dir).readCommits([forgedId]),
        code('MALFORMED_COMMIT'),
      );
    });

    it('refuses a commit id git does not have', async () => {
      await assert.rejects(
        openGitRepository(repo.dir).readCommits(['e'.repeat(40)]),
        code('RANGE_UNVERIFIABLE'),
      );
    });
  });

  describe('when a tree is hostile', () => {
    let policy: CommitPolicy;
    before(() => {
      const dev = repo.sshKey('dev');
      policy = {
        signers: { allowedSigners: allowedSignersLine('dev@example.com', dev) },
        protectedPaths: [
          { paths: ['infra/**'], allowedSigners: allowedSignersLine('dev@example.com', dev) },
        ],
        allowMergeCommits: false,
        allowWebFlow: false,
      };
    });
    /** A tree object written byte for byte from (mode, name, id) entries. */
    const writeTree = (entries: [string, string, string][]): string =>
      repo.writeLiteral(
        'tree',
        Buffer.concat(
          entries.map(([mode, name, id]) =>
            Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')]),
          ),
        ),
      );
    const verifyTree = (tree: string): Promise<unknown> =>
      verifyCommits({
        git: openGitRepository(repo.dir),
        range: { kind: 'list', commits: [repo.commitTree(tree, [repo.head()])] },
        policy,
        now: new Date(),
      });

    it('refuses a tree holding one name twice (a second infra hiding the first)', async () => {
      const blob = repo.writeLiteral('blob', 'x\n');
      const infra = writeTree([['100644', 'main.tf', blob]]);
      const tree = writeTree([
        ['40000', 'infra', infra],
        ['40000', 'infra', infra],
      ]);
      await assert.rejects(
        verifyTree(tree),
        code('MALFORMED_COMMIT', /two entries are named "infra"/),
      );
    });

    it('refuses a subtree entry that names a blob', async () => {
      const blob = repo.writeLiteral('blob', 'x\n');
      await assert.rejects(
        verifyTree(writeTree([['40000', 'infra', blob]])),
        code('MALFORMED_COMMIT', /object is a blob, not a tree/),
      );
    });

    it('refuses a tree object whose content does not hash to its id', async () => {
      const forgedId = 'e'.repeat(39) + '1';
      const body = Buffer.from('100644 a\0' + 'b'.repeat(20), 'latin1');
      const object = Buffer.concat([Buffer.from(`tree ${body.length}\0`), body]);
      const dir = join(repo.dir, '.git', 'objects', forgedId.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, forgedId.slice(2)), deflateSync(object));
      const tree = writeTree([['40000', 'infra', forgedId]]);
      await assert.rejects(verifyTree(tree), code('MALFORMED_COMMIT', /does not hash to its id/));
    });
  });
});
