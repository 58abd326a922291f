// The demo's source: a scratch git repository whose one commit is SSH-signed by a key made for the
// demo, checked by git itself against an allowed_signers file. Real git and ssh-keygen, no stand-ins.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SathosError } from '@sathos/core';
import { makeDirectories } from '@sathos/node';

const run = promisify(execFile);

export const DEMO_SIGNER_EMAIL = 'dev@demo.sathos.invalid';

export interface ScratchRepo {
  readonly dir: string;
  readonly commit: string;
  readonly allowedSigners: string;
  /** What `git verify-commit` said: the signer and key fingerprint. */
  readonly signature: {
    readonly principal: string;
    readonly fingerprint: string;
    readonly format: 'ssh';
  };
}

/** git with no user or system configuration leaking in. */
function gitEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Demo Developer',
    GIT_AUTHOR_EMAIL: DEMO_SIGNER_EMAIL,
    GIT_COMMITTER_NAME: 'Demo Developer',
    GIT_COMMITTER_EMAIL: DEMO_SIGNER_EMAIL,
    GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  };
}

async function tool(
  cmd: string,
  args: readonly string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, [...args], { cwd, env: gitEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (cause) {
    throw new SathosError(
      'USAGE',
      `the demo needs ${cmd}: \`${cmd} ${args[0] ?? ''}\` failed; install ${cmd} and retry`,
      {
        cause,
      },
    );
  }
}

export async function git(args: readonly string[], cwd: string): Promise<string> {
  return (await tool('git', args, cwd)).stdout;
}

const FILES: Readonly<Record<string, string>> = {
  'README.md':
    '# hello-sathos\n\nA tiny service whose every step from commit to deploy is signed.\n',
  'src/hello.js': 'export const hello = (name) => `hello, ${name}`;\n',
  'test/hello.test.js':
    "import { hello } from '../src/hello.js';\nif (hello('world') !== 'hello, world') throw new Error('hello failed');\n",
};

/**
 * Creates the repository (the demo's files and `extra`), signs its commit with a fresh SSH key, and
 * has git verify it.
 */
export async function createScratchRepo(
  dir: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<ScratchRepo> {
  const keysDir = join(dir, '.demo-keys');
  await makeDirectories(keysDir, 'STORE_FAILED', 'demo key directory');
  const key = join(keysDir, 'commit-signing');
  await tool(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', DEMO_SIGNER_EMAIL, '-f', key],
    dir,
  );
  const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
  const allowedSigners = join(keysDir, 'allowed_signers');
  await writeFile(allowedSigners, `${DEMO_SIGNER_EMAIL} namespaces="git" ${publicKey}\n`);

  const repo = join(dir, 'repo');
  await makeDirectories(repo, 'STORE_FAILED', 'demo repository');
  await git(['init', '-q', '-b', 'main'], repo);
  for (const [name, text] of Object.entries({ ...FILES, ...extra })) {
    await makeDirectories(join(repo, name, '..'), 'STORE_FAILED', 'demo repository');
    await writeFile(join(repo, name), text);
  }
  const config = [
    '-c',
    'gpg.format=ssh',
    '-c',
    `user.signingkey=${key}`,
    '-c',
    `gpg.ssh.allowedSignersFile=${allowedSigners}`,
  ];
  await git(['add', '-A'], repo);
  await git([...config, 'commit', '-q', '-S', '-m', 'hello-sathos: first release'], repo);
  const commit = (await git(['rev-parse', 'HEAD'], repo)).trim();
  // git prints the verification on stderr; a bad or unknown signature exits non-zero.
  const { stderr } = await tool('git', [...config, 'verify-commit', '--raw', commit], repo);
  const match = /Good "git" signature for (\S+) with \S+ key (SHA256:\S+)/.exec(stderr);
  if (match === null) {
    throw new SathosError(
      'SIGNATURE_INVALID',
      `git did not report a good signature on the demo commit: ${stderr.trim()}`,
    );
  }
  return {
    dir: repo,
    commit,
    allowedSigners,
    signature: { principal: match[1] ?? '', fingerprint: match[2] ?? '', format: 'ssh' },
  };
}
