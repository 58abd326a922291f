// A scratch git repository holding workflow files, for runner tests: write files, commit, get the sha.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@sathos.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@sathos.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export class ScratchRepo {
  readonly dir: string;
  constructor(readonly root: string = mkdtempSync(join(tmpdir(), 'sathos-wf-'))) {
    this.dir = join(root, 'repo');
    mkdirSync(this.dir);
    this.git('init', '-q', '-b', 'main');
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], {
      env: GIT_ENV,
      encoding: 'utf8',
    }).trim();
  }

  /** Writes the files and commits them (SSH-signed with `sshKey`, else unsigned); returns the sha. */
  commit(files: Record<string, string>, message = 'change', sshKey?: string): string {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), content);
    }
    this.git('add', '-A');
    const pre =
      sshKey === undefined ? [] : ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${sshKey}`];
    this.git(
      ...pre,
      'commit',
      sshKey === undefined ? '--no-gpg-sign' : '-S',
      '-q',
      '--allow-empty',
      '-m',
      message,
    );
    return this.git('rev-parse', 'HEAD');
  }

  /** A fresh directory for one run's jobs. */
  workDir(name: string): string {
    return join(this.root, `run-${name}`);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
