// Author and committer lines read exactly as git reads them, or refused: crafted commit objects
// (`git hash-object --literally`) compared with what `git log` shows. A committer line with two
// emails is shown by git as the first; a verifier reading the last would vouch for someone else.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitVerdict } from '@sathos/core';
import { SathosError, parseCommit } from '@sathos/core';
import { TestRepo, allowedSignersLine, withSignature, type SshKeyFiles } from './repo-builder.js';

const TIME = '1700000000 +0000';

/** Lines git reads one way and a looser parser another (or that hold bytes no name should). */
const AMBIGUOUS = [
  `Mallory <mallory@evil.example> <alice@example.com> ${TIME}`,
  `Alice <alice@example.com>> ${TIME}`,
  `Al>ice <alice@example.com> ${TIME}`,
  `Alice <a <alice@example.com>> ${TIME}`,
  `Alice  <alice@example.com> ${TIME}`,
  `Alice<alice@example.com> ${TIME}`,
  `Alice <alice@example.com>  ${TIME}`,
  `Alice <alice@example.com> ${TIME} <mallory@evil.example>`,
  `Alice\u0001 <alice@example.com> ${TIME}`,
  `Alice\t<alice@example.com> ${TIME}`,
];

/** Ordinary lines: accepted, and read exactly as git shows them. */
const ORDINARY = [
  `Alice <alice@example.com> ${TIME}`,
  `Ålice Ünicode-Smith <alice@example.com> 1700000000 -0130`,
  `<alice@example.com> ${TIME}`,
  `Alice "Al" O'Neil <alice+tag@sub.example.com> ${TIME}`,
];

describe('ident lines', () => {
  let repo: TestRepo;
  let alice: SshKeyFiles;
  let tree: string;

  const craft = (ident: string, extra = ''): string =>
    `tree ${tree}\nauthor ${ident}\ncommitter ${ident}\n${extra}\ncrafted\n`;
  const gitShows = (id: string): string[] =>
    repo.git(['log', '-1', '--format=%an%x00%ae%x00%cn%x00%ce', id]).split('\0');

  before(() => {
    repo = TestRepo.create();
    alice = repo.sshKey('alice');
    tree = repo.git(['mktree'], {}, '');
  });
  after(() => {
    repo.dispose();
  });

  it('reads ordinary lines exactly as git log shows them', () => {
    for (const ident of ORDINARY) {
      const raw = craft(ident);
      const id = repo.writeLiteralCommit(raw);
      const commit = parseCommit(id, Buffer.from(raw));
      const [an, ae, cn, ce] = gitShows(id);
      assert.deepEqual(
        [commit.author.name, commit.author.email, commit.committer.name, commit.committer.email],
        [an, ae, cn, ce],
        ident,
      );
    }
  });

  it('refuses every line git could read differently from a looser parser', () => {
    for (const ident of AMBIGUOUS) {
      const raw = craft(ident);
      const id = repo.writeLiteralCommit(raw);
      assert.throws(
        () => parseCommit(id, Buffer.from(raw)),
        (error: unknown) => error instanceof SathosError && error.code === 'MALFORMED_COMMIT',
        ident,
      );
    }
  });

  it('refuses a committer line continued on the next line, and bytes that are not UTF-8', () => {
    const continued = craft(`Alice <alice@example.com> ${TIME}`).replace(
      /^(committer [^\n]*\n)/m,
      '$1 <mallory@evil.example>\n',
    );
    const latin1 = Buffer.concat([
      Buffer.from(`tree ${tree}\nauthor A\xe9 <alice@example.com> ${TIME}\n`, 'latin1'),
      Buffer.from(`committer Alice <alice@example.com> ${TIME}\n\nx\n`),
    ]);
    for (const raw of [Buffer.from(continued), latin1]) {
      const id = repo.writeLiteralCommit(raw);
      assert.throws(
        () => parseCommit(id, raw),
        (error: unknown) => error instanceof SathosError && error.code === 'MALFORMED_COMMIT',
      );
    }
  });

  it('refuses a parent line after the author (git does not read it as a parent)', () => {
    const base = repo.writeLiteralCommit(craft(`Alice <alice@example.com> ${TIME}`));
    const raw = craft(`Alice <alice@example.com> ${TIME}`, `parent ${base}\n`);
    const id = repo.writeLiteralCommit(raw);
    assert.equal(repo.git(['log', '-1', '--format=%P', id]), '');
    assert.throws(
      () => parseCommit(id, Buffer.from(raw)),
      (error: unknown) => error instanceof SathosError && error.code === 'MALFORMED_COMMIT',
    );
  });

  it('rejects (exit 1) a commit git shows as Mallory’s though signed by an allowed key for the second email', async () => {
    const unsigned = craft(`Mallory <mallory@evil.example> <alice@example.com> ${TIME}`);
    const id = repo.writeLiteralCommit(
      withSignature(unsigned, repo.sshSign(alice, unsigned, 'git')),
    );
    assert.equal(repo.git(['log', '-1', '--format=%ce', id]), 'mallory@evil.example');
    const signers = join(repo.home, 'allowed_signers');
    writeFileSync(signers, allowedSignersLine('alice@example.com', alice));
    let out = '';
    const code = await runCli(
      ['verify-commits', id, '--repo', repo.dir, '--allowed-signers', signers, '--json'],
      { out: (t) => (out += t), err: () => undefined },
    );
    const json = JSON.parse(out) as { code: string; reason: string; commits: CommitVerdict[] };
    assert.equal(code, 1, json.reason);
    assert.equal(json.code, 'COMMIT_REJECTED');
    const [verdict] = json.commits;
    assert.ok(verdict);
    assert.equal(verdict.verdict, 'rejected');
    assert.equal(verdict.signer, undefined);
    assert.match(verdict.reason, /(author|committer) line .*exactly one <email>/);
  });
});
