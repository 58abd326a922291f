// Verifying 1,000 SSH-signed commits with verifyCommits (one cat-file batch, signatures checked in
// process) against a `git verify-commit` loop over the same commits (one git + ssh-keygen per commit).
// The loop is timed on an evenly spaced sample of LOOP_SAMPLE commits and scaled to the whole range.
// The repository takes a while to sign, so it is cached under the temp dir, keyed by REPO_VERSION.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CommitPolicy } from '@sathos/core';
import { verifyCommits } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { measure, type BenchRow } from './lib.js';

const COMMITS = 1000;
const LOOP_SAMPLE = 100;
const TARGET_RATIO = 0.2;
/** Bump when the way the repository is built changes. */
const REPO_VERSION = 'v1';
const EMAIL = 'bench@example.com';

interface BenchRepo {
  readonly dir: string;
  readonly base: string;
  readonly head: string;
  readonly allowedSigners: string;
  readonly env: NodeJS.ProcessEnv;
}

function envFor(root: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(root, 'gitconfig'),
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: EMAIL,
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: EMAIL,
    LC_ALL: 'C',
  };
}

function run(env: NodeJS.ProcessEnv, cwd: string, command: string, args: string[]): string {
  return execFileSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString('utf8')
    .trim();
}

function build(root: string): void {
  rmSync(root, { recursive: true, force: true });
  const dir = join(root, 'repo');
  mkdirSync(dir, { recursive: true });
  const env = envFor(root);
  writeFileSync(join(root, 'gitconfig'), '');
  const key = join(root, 'key');
  run(env, root, 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench', '-f', key]);
  const publicKey = readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(root, 'allowed_signers'), `${EMAIL} namespaces="git" ${publicKey}\n`);
  const git = (args: string[]): string => run(env, dir, 'git', args);
  git(['init', '-q', '-b', 'main']);
  git(['config', 'gpg.format', 'ssh']);
  git(['config', 'user.signingkey', key]);
  git(['config', 'gpg.ssh.allowedSignersFile', join(root, 'allowed_signers')]);
  git(['commit', '-q', '--allow-empty', '--no-gpg-sign', '-m', 'base']);
  for (let i = 0; i < COMMITS; i++)
    git(['commit', '-q', '--allow-empty', '-S', '-m', `commit ${i}`]);
  writeFileSync(join(root, 'ready'), REPO_VERSION);
}

function benchRepo(): BenchRepo {
  const root = join(tmpdir(), `sathos-bench-commits-${REPO_VERSION}`);
  if (!existsSync(join(root, 'ready'))) build(root);
  const dir = join(root, 'repo');
  const env = envFor(root);
  return {
    dir,
    env,
    base: run(env, dir, 'git', ['rev-parse', 'HEAD~' + String(COMMITS)]),
    head: run(env, dir, 'git', ['rev-parse', 'HEAD']),
    allowedSigners: readFileSync(join(root, 'allowed_signers'), 'utf8'),
  };
}

function gitVerifyLoopMs(repo: BenchRepo): number {
  const ids = run(repo.env, repo.dir, 'git', ['rev-list', `${repo.base}..${repo.head}`]).split(
    '\n',
  );
  const step = Math.floor(ids.length / LOOP_SAMPLE);
  const sample = ids.filter((_, i) => i % step === 0).slice(0, LOOP_SAMPLE);
  const start = performance.now();
  for (const id of sample) run(repo.env, repo.dir, 'git', ['verify-commit', id]);
  return ((performance.now() - start) / sample.length) * ids.length;
}

export default async function runBench(): Promise<BenchRow[]> {
  const repo = benchRepo();
  const policy: CommitPolicy = {
    signers: { allowedSigners: repo.allowedSigners },
    protectedPaths: [],
    allowMergeCommits: false,
    allowWebFlow: false,
  };
  const verifyAll = async (): Promise<void> => {
    const result = await verifyCommits({
      git: openGitRepository(repo.dir),
      range: { kind: 'range', base: repo.base, head: repo.head },
      policy,
      now: new Date(),
    });
    if (!result.verified || result.commits.length !== COMMITS) throw new Error(result.reason);
  };
  const ours = await measure(verifyAll, { minIterations: 3, minMillis: 1000 });
  const loopMs = gitVerifyLoopMs(repo);
  const oursMs = ours.medianNs / 1e6;
  const ratio = oursMs / loopMs;
  return [
    {
      name: `verify-commits: ${COMMITS} SSH-signed commits (Ed25519)`,
      value: Math.round(oursMs),
      unit: 'ms',
      yardstick: `git verify-commit loop (${LOOP_SAMPLE} sampled, scaled to ${COMMITS}: ${Math.round(loopMs)} ms)`,
      ratio,
      target: `ratio ≤ ${TARGET_RATIO} (≥5× faster)`,
      pass: ratio <= TARGET_RATIO,
    },
  ];
}
