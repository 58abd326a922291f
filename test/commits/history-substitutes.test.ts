// Git's history caches and substitutes — grafts, replace refs, commit-graph files (single and split),
// a shallow list, alternates and GIT_ALTERNATE_OBJECT_DIRECTORIES — built for real in hostile
// repositories. Each makes plain git hide an unsigned commit inside base..head, or diff a protected
// edit against a look-alike parent; the verifier reads parents, trees and paths from hash-checked
// objects and still rejects.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitPolicy, CommitVerdict } from '@sathos/core';
import { verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { TestRepo, allowedSignersLine } from './repo-builder.js';

/** Makes git believe `child`'s parent is `fake`; returns env under which git believes it. */
type Attack = (repo: TestRepo, child: string, fake: string) => NodeJS.ProcessEnv;

function graphFile(repo: TestRepo, split: boolean): string {
  repo.git(['commit-graph', 'write', '--reachable', ...(split ? ['--split'] : [])]);
  const info = join(repo.dir, '.git', 'objects', 'info');
  if (!split) return join(info, 'commit-graph');
  const chain = readFileSync(join(info, 'commit-graphs', 'commit-graph-chain'), 'utf8').trim();
  return join(info, 'commit-graphs', `graph-${chain.split('\n').at(-1) ?? ''}.graph`);
}

/** An object directory outside the repository holding a commit-graph that lies about `child`. */
function lyingAlternate(repo: TestRepo, child: string, fake: string): string {
  const file = graphFile(repo, false);
  repo.editCommitGraphParent(file, child, fake);
  const objects = join(repo.home, `alt-${child.slice(0, 8)}`, 'objects');
  mkdirSync(join(objects, 'info'), { recursive: true });
  renameSync(file, join(objects, 'info', 'commit-graph'));
  return objects;
}

const ATTACKS: Readonly<Record<string, Attack>> = {
  'a graft (.git/info/grafts)': (repo, child, fake) => {
    writeFileSync(join(repo.dir, '.git', 'info', 'grafts'), `${child} ${fake}\n`);
    return {};
  },
  'a replace ref (git replace --graft)': (repo, child, fake) => {
    repo.git(['replace', '--graft', child, fake]);
    return {};
  },
  'a commit-graph file with an edited parent': (repo, child, fake) => {
    repo.editCommitGraphParent(graphFile(repo, false), child, fake);
    return {};
  },
  'a split commit-graph chain with an edited parent': (repo, child, fake) => {
    repo.editCommitGraphParent(graphFile(repo, true), child, fake);
    return {};
  },
  'an alternate object directory (objects/info/alternates) carrying a lying commit-graph': (
    repo,
    child,
    fake,
  ) => {
    const objects = lyingAlternate(repo, child, fake);
    writeFileSync(join(repo.dir, '.git', 'objects', 'info', 'alternates'), `${objects}\n`);
    return {};
  },
  'GIT_ALTERNATE_OBJECT_DIRECTORIES naming a lying commit-graph': (repo, child, fake) => ({
    GIT_ALTERNATE_OBJECT_DIRECTORIES: lyingAlternate(repo, child, fake),
  }),
};

/** Runs `fn` with extra variables in this process's environment (the CLI runs in process). */
async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

describe("when git's view of history lies", () => {
  const repos: TestRepo[] = [];
  after(() => {
    for (const r of repos) r.dispose();
  });

  describe('an unsigned commit inside base..head', () => {
    const cases: [string, Attack][] = [
      ...Object.entries(ATTACKS),
      [
        'a shallow list naming the head (.git/shallow)',
        (repo, child) => {
          writeFileSync(join(repo.dir, '.git', 'shallow'), `${child}\n`);
          return {};
        },
      ],
    ];
    for (const [name, attack] of cases) {
      it(`is still found and rejected with ${name}`, async () => {
        const repo = TestRepo.create();
        repos.push(repo);
        const alice = repo.sshKey('alice');
        const signers = join(repo.home, 'allowed_signers');
        writeFileSync(signers, allowedSignersLine('alice@example.com', alice));
        const base = repo.commit({ signing: { ssh: alice.privatePath } });
        const hidden = repo.commit({ signing: { none: true } });
        const head = repo.commit({ signing: { ssh: alice.privatePath } });
        const env = attack(repo, head, base);
        const seen = repo.git(['rev-list', '--topo-order', head, `^${base}`, '--'], env);
        assert.deepEqual(seen.split('\n'), [head], 'plain git no longer lists the hidden commit');

        let out = '';
        const code = await withEnv(env, () =>
          runCli(
            [
              'verify-commits',
              `${base}..${head}`,
              '--repo',
              repo.dir,
              '--allowed-signers',
              signers,
              '--json',
            ],
            { out: (t) => (out += t), err: () => undefined },
          ),
        );
        const json = JSON.parse(out) as { code: string; reason: string; commits: CommitVerdict[] };
        assert.equal(code, 1, json.reason);
        assert.equal(json.code, 'COMMIT_REJECTED');
        assert.deepEqual(
          json.commits.map((c) => [c.commit, c.verdict]),
          [
            [hidden, 'rejected'],
            [head, 'verified'],
          ],
        );
        assert.match(json.commits[0]?.reason ?? '', /not signed/);
      });
    }
  });

  describe('a protected edit diffed against a look-alike parent', () => {
    for (const [name, attack] of Object.entries(ATTACKS)) {
      it(`is still a protected change with ${name}, as a range and as one revision`, async () => {
        const repo = TestRepo.create();
        repos.push(repo);
        const dev = repo.sshKey('dev');
        const lead = repo.sshKey('lead');
        const policy: CommitPolicy = {
          signers: { allowedSigners: allowedSignersLine('dev@example.com', dev) },
          protectedPaths: [
            { paths: ['infra/**'], allowedSigners: allowedSignersLine('lead@example.com', lead) },
          ],
          allowMergeCommits: false,
          allowWebFlow: false,
        };
        repo.commit({ signing: { none: true }, files: { 'infra/main.tf': 'safe\n' } });
        const parent = repo.commit({ signing: { ssh: dev.privatePath }, email: 'dev@example.com' });
        const edit = repo.commit({
          signing: { ssh: dev.privatePath },
          email: 'dev@example.com',
          files: { 'infra/main.tf': 'hostile\n' },
        });
        // A commit whose tree is the edit's own: diffed against it, the edit changes nothing.
        const lookAlike = repo.commitTree(repo.git(['rev-parse', `${edit}^{tree}`]), [parent]);
        repo.git(['update-ref', 'refs/heads/look-alike', lookAlike]);
        const env = attack(repo, edit, lookAlike);
        const diff = repo.git(
          ['diff-tree', '-r', '--root', '--no-commit-id', '--name-only', edit],
          env,
        );
        assert.equal(diff, '', 'plain git sees no change in the edit');

        for (const range of [
          { kind: 'list', commits: [edit] } as const,
          { kind: 'range', base: parent, head: edit } as const,
        ]) {
          const result = await withEnv(env, () =>
            verifyCommits({ git: openGitRepository(repo.dir), range, policy, now: new Date() }),
          );
          assert.equal(result.verified, false, result.reason);
          const [verdict, ...more] = result.commits;
          assert.ok(verdict !== undefined && more.length === 0, 'one verdict: the edit');
          assert.equal(verdict.commit, edit);
          assert.equal(verdict.verdict, 'rejected');
          assert.deepEqual(verdict.protectedPaths, ['infra/**']);
          assert.match(verdict.reason, /commits\.protectedPaths\[0\]/);
        }
      });
    }
  });

  describe('when commit dates lie (they order the walk, never decide it)', () => {
    for (const date of ['1971-01-01T00:00:00Z', '2099-01-01T00:00:00Z']) {
      it(`still finds an unsigned commit dated ${date.slice(0, 4)} between base and head`, async () => {
        const repo = TestRepo.create();
        repos.push(repo);
        const alice = repo.sshKey('alice');
        const signers = join(repo.home, 'allowed_signers');
        writeFileSync(signers, allowedSignersLine('alice@example.com', alice));
        repo.commit({ signing: { ssh: alice.privatePath } });
        const base = repo.commit({ signing: { ssh: alice.privatePath } });
        const hidden = repo.commit({ signing: { none: true }, date });
        const head = repo.commit({ signing: { ssh: alice.privatePath } });
        let out = '';
        const code = await runCli(
          [
            'verify-commits',
            `${base}..${head}`,
            '--repo',
            repo.dir,
            '--allowed-signers',
            signers,
            '--json',
          ],
          { out: (t) => (out += t), err: () => undefined },
        );
        const json = JSON.parse(out) as { reason: string; commits: CommitVerdict[] };
        assert.equal(code, 1, json.reason);
        assert.deepEqual(
          json.commits.map((c) => [c.commit, c.verdict]),
          [
            [hidden, 'rejected'],
            [head, 'verified'],
          ],
        );
      });
    }
  });
});
