// Builds throwaway git repositories with real signed commits for tests: real git, gpg and ssh-keygen,
// each repository with its own HOME, GNUPGHOME and git config so nothing of the machine leaks in.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type SshKeyType = 'ed25519' | 'ecdsa' | 'ecdsa384' | 'rsa';
export type PgpAlgorithm = 'ed25519' | 'rsa3072' | 'nistp256';

export interface SshKeyFiles {
  readonly privatePath: string;
  readonly publicPath: string;
  /** `ssh-ed25519 AAAA…` (type and base64, no comment). */
  readonly publicKey: string;
}

export type Signing =
  | { readonly ssh: string }
  | { readonly gpg: string; readonly fakedTime?: string }
  | { readonly none: true };

export interface CommitOptions {
  readonly files?: Readonly<Record<string, string>>;
  readonly message?: string;
  readonly signing: Signing;
  readonly name?: string;
  readonly email?: string;
  /** git date, e.g. `2020-01-05T00:00:00Z`; also used as the author date. */
  readonly date?: string;
}

const SSH_TYPES: Readonly<Record<SshKeyType, string[]>> = {
  ed25519: ['-t', 'ed25519'],
  ecdsa: ['-t', 'ecdsa', '-b', '256'],
  ecdsa384: ['-t', 'ecdsa', '-b', '384'],
  rsa: ['-t', 'rsa', '-b', '3072'],
};

export class TestRepo {
  readonly dir: string;
  readonly home: string;
  readonly gnupg: string;
  private readonly env: NodeJS.ProcessEnv;
  private counter = 0;

  private constructor(root: string) {
    this.home = root;
    this.dir = join(root, 'repo');
    this.gnupg = join(root, 'g');
    mkdirSync(this.dir);
    mkdirSync(this.gnupg, { mode: 0o700 });
    this.env = {
      PATH: process.env.PATH,
      HOME: root,
      GNUPGHOME: this.gnupg,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: join(root, 'gitconfig'),
      LC_ALL: 'C',
      TZ: 'UTC',
    };
    writeFileSync(join(root, 'gitconfig'), '');
    this.git(['init', '-q', '-b', 'main']);
    this.git(['config', 'commit.gpgsign', 'false']);
  }

  /** A fresh repository in a temp dir; call `dispose()` when done. */
  static create(): TestRepo {
    return new TestRepo(mkdtempSync(join(tmpdir(), 'sc-')));
  }

  run(
    command: string,
    args: readonly string[],
    options: { input?: string; env?: NodeJS.ProcessEnv } = {},
  ): string {
    return execFileSync(command, args, {
      cwd: this.dir,
      env: { ...this.env, ...options.env },
      input: options.input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    }).toString('utf8');
  }

  git(args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): string {
    return this.run('git', args, { env, ...(input === undefined ? {} : { input }) }).trim();
  }

  sshKey(name: string, type: SshKeyType = 'ed25519'): SshKeyFiles {
    const privatePath = join(this.home, `ssh-${name}`);
    this.run('ssh-keygen', ['-q', ...SSH_TYPES[type], '-N', '', '-C', name, '-f', privatePath]);
    const publicPath = `${privatePath}.pub`;
    const publicKey = readFileSync(publicPath, 'utf8').split(' ').slice(0, 2).join(' ');
    return { privatePath, publicPath, publicKey };
  }

  /** Signs `user`'s public key with `ca`: `ssh-keygen -s`; returns the certificate path. */
  sshCertificate(
    ca: SshKeyFiles,
    user: SshKeyFiles,
    principals: string,
    validity = '-1d:+3650d',
  ): string {
    this.run('ssh-keygen', [
      '-q',
      '-s',
      ca.privatePath,
      '-I',
      'test-cert',
      '-n',
      principals,
      '-V',
      validity,
      user.publicPath,
    ]);
    return user.privatePath + '-cert.pub';
  }

  private gpg(args: readonly string[], fakedTime?: string): string {
    const time = fakedTime === undefined ? [] : ['--faked-system-time', fakedTime];
    return this.run('gpg', [
      '--batch',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...time,
      ...args,
    ]);
  }

  /** A new OpenPGP key without passphrase; returns its fingerprint. */
  gpgKey(
    uid: string,
    algorithm: PgpAlgorithm = 'ed25519',
    options: { fakedTime?: string; expire?: string } = {},
  ): string {
    this.gpg(
      ['--quick-gen-key', uid, algorithm, 'sign', options.expire ?? 'never'],
      options.fakedTime,
    );
    const colons = this.gpg(['--with-colons', '--list-keys', uid]);
    const fprs = colons.split('\n').filter((l) => l.startsWith('fpr:'));
    const fpr = fprs[0]?.split(':')[9];
    if (fpr === undefined) throw new Error(`gpg made no key for ${uid}`);
    return fpr;
  }

  gpgSetExpire(fpr: string, expire: string, fakedTime?: string): void {
    this.gpg(['--quick-set-expire', fpr, expire], fakedTime);
  }

  /** Imports the revocation certificate gpg made at key generation: the key is revoked (hard). */
  gpgRevoke(fpr: string): void {
    const path = join(this.gnupg, 'openpgp-revocs.d', `${fpr}.rev`);
    const cert = readFileSync(path, 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
    this.run('gpg', ['--batch', '--import'], { input: cert });
  }

  gpgPublicKey(fpr: string): string {
    return this.gpg(['--armor', '--export', fpr]);
  }

  private gpgProgram(fakedTime: string | undefined): string {
    if (fakedTime === undefined) return 'gpg';
    const path = join(this.home, `gpg-at-${fakedTime.replace(/\W/g, '')}.sh`);
    writeFileSync(path, `#!/bin/sh\nexec gpg --faked-system-time '${fakedTime}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  private signingArgs(signing: Signing): string[] {
    if ('ssh' in signing) return ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${signing.ssh}`];
    if ('gpg' in signing) {
      return [
        '-c',
        'gpg.format=openpgp',
        '-c',
        `gpg.program=${this.gpgProgram(signing.fakedTime)}`,
        '-c',
        `user.signingkey=${signing.gpg}`,
      ];
    }
    return [];
  }

  identityEnv(o: { name?: string; email?: string; date?: string }): NodeJS.ProcessEnv {
    const name = o.name ?? 'Alice';
    const email = o.email ?? 'alice@example.com';
    return {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
      ...(o.date === undefined ? {} : { GIT_AUTHOR_DATE: o.date, GIT_COMMITTER_DATE: o.date }),
    };
  }

  /** Writes the files, commits them (signed as asked) and returns the commit id. */
  commit(options: CommitOptions): string {
    const files = options.files ?? { [`file-${++this.counter}.txt`]: `change ${this.counter}\n` };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), content);
    }
    this.git(['add', '--', ...Object.keys(files)]);
    const sign = 'none' in options.signing ? ['--no-gpg-sign'] : ['-S'];
    this.git(
      [
        ...this.signingArgs(options.signing),
        'commit',
        '-q',
        '--allow-empty',
        ...sign,
        '-m',
        options.message ?? `commit ${this.counter}`,
      ],
      this.identityEnv(options),
    );
    return this.head();
  }

  /** A merge of `branch` into the current branch, signed as asked. */
  merge(branch: string, signing: Signing, options: { name?: string; email?: string } = {}): string {
    const sign = 'none' in signing ? ['--no-gpg-sign'] : ['-S'];
    this.git(
      [
        ...this.signingArgs(signing),
        'merge',
        '-q',
        '--no-ff',
        ...sign,
        '-m',
        `merge ${branch}`,
        branch,
      ],
      this.identityEnv(options),
    );
    return this.head();
  }

  head(): string {
    return this.git(['rev-parse', 'HEAD']);
  }

  raw(id: string): string {
    return this.run('git', ['cat-file', 'commit', id]);
  }

  /** Stores a commit object as given (e.g. a signed commit with altered content) and returns its id. */
  writeCommit(raw: string): string {
    return this.git(['hash-object', '-t', 'commit', '-w', '--stdin'], {}, raw);
  }

  /** Stores an object byte for byte, even one git would refuse to write (`--literally`). */
  writeLiteral(type: 'commit' | 'tree' | 'blob', raw: string | Buffer): string {
    return execFileSync('git', ['hash-object', '-t', type, '--literally', '-w', '--stdin'], {
      cwd: this.dir,
      env: this.env,
      input: raw,
    })
      .toString('utf8')
      .trim();
  }

  /** Stores a commit object byte for byte, even one git would refuse to write. */
  writeLiteralCommit(raw: string | Buffer): string {
    return this.writeLiteral('commit', raw);
  }

  /** An unsigned commit of `tree` with these parents (`git commit-tree`). */
  commitTree(tree: string, parents: readonly string[], message = 'look-alike'): string {
    return this.git(
      ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message],
      this.identityEnv({}),
    );
  }

  /**
   * Rewrites the first parent that a commit-graph file records for `commit` (the CDAT chunk's parent
   * position), leaving the commit object alone: what a hostile repository ships to lie about history.
   */
  editCommitGraphParent(file: string, commit: string, parent: string): void {
    const data = readFileSync(file);
    if (data.toString('latin1', 0, 4) !== 'CGPH') throw new Error(`${file} is not a commit-graph`);
    const hashBytes = data[5] === 2 ? 32 : 20;
    const chunks = new Map<string, number>();
    for (let i = 0; i <= (data[6] ?? 0); i++) {
      const at = 8 + 12 * i;
      chunks.set(data.toString('latin1', at, at + 4), Number(data.readBigUInt64BE(at + 4)));
    }
    const oidl = chunks.get('OIDL') ?? 0;
    const cdat = chunks.get('CDAT') ?? 0;
    const oidlEnd = Math.min(...[...chunks.values()].filter((offset) => offset > oidl));
    const ids: string[] = [];
    for (let at = oidl; at < oidlEnd; at += hashBytes) {
      ids.push(data.toString('hex', at, at + hashBytes));
    }
    const position = ids.indexOf(commit);
    const parentPosition = ids.indexOf(parent);
    if (position < 0 || parentPosition < 0) throw new Error('commit or parent not in the graph');
    data.writeUInt32BE(parentPosition, cdat + position * (hashBytes + 16) + hashBytes);
    chmodSync(file, 0o644);
    writeFileSync(file, data);
  }

  /** `ssh-keygen -Y sign` of `message` in `namespace`, armored, as git would embed it. */
  sshSign(key: SshKeyFiles, message: string, namespace: string): string {
    return this.run('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', key.privatePath], {
      input: message,
    });
  }

  dispose(): void {
    try {
      this.run('gpgconf', ['--kill', 'gpg-agent']);
    } catch {
      // no agent was started
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Embeds an armored signature as a `gpgsig` header into an unsigned commit object. */
export function withSignature(unsignedRaw: string, signature: string): string {
  const end = unsignedRaw.indexOf('\n\n');
  const header = `gpgsig ${signature.trimEnd().split('\n').join('\n ')}\n`;
  return `${unsignedRaw.slice(0, end + 1)}${header}${unsignedRaw.slice(end + 1)}`;
}

/** The commit object with its gpgsig header removed: what the signature is over. */
export function withoutSignature(raw: string): string {
  return raw.replace(/^gpgsig [^\n]*\n(?: [^\n]*\n)*/m, '');
}

export function allowedSignersLine(principals: string, key: SshKeyFiles, options = ''): string {
  return `${principals}${options === '' ? '' : ` ${options}`} ${key.publicKey}\n`;
}
