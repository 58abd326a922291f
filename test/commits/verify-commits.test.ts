// End to end with real git, gpg and ssh-keygen: `sathos verify-commits` passes ranges of allowed SSH-
// and OpenPGP-signed commits, and rejects every attack with exit 1, naming the commit and the reason.
// One table: each row makes its commits (and files) in the shared repository, names the arguments,
// the exit code, the JSON code and the one line the user reads. Rows run in order: some leave
// branches and keys behind that later rows do not depend on.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitVerdict } from '@sathos/core';
import {
  TestRepo,
  allowedSignersLine,
  withSignature,
  withoutSignature,
  type SshKeyFiles,
} from './repo-builder.js';

interface Cli {
  code: number;
  json: {
    verified: boolean;
    code: string;
    reason: string;
    emptyRange?: boolean;
    commits: CommitVerdict[];
  };
  stderr: string;
}

async function sathos(args: readonly string[]): Promise<Cli> {
  let out = '';
  let err = '';
  const code = await runCli(['verify-commits', ...args, '--json'], {
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, json: JSON.parse(out) as Cli['json'], stderr: err };
}

function verdictOf(result: Cli, commit: string): CommitVerdict {
  const verdict = result.json.commits.find((c) => c.commit === commit);
  assert.ok(verdict, `no verdict for ${commit}`);
  return verdict;
}

function assertRejected(result: Cli, commit: string, reason: RegExp): void {
  assert.equal(result.code, 1, result.json.reason);
  assert.equal(result.json.verified, false);
  assert.equal(result.json.code, 'COMMIT_REJECTED');
  const verdict = verdictOf(result, commit);
  assert.equal(verdict.verdict, 'rejected');
  assert.match(verdict.reason, reason);
  assert.ok(result.json.reason.includes(commit.slice(0, 12)), 'the summary names the commit');
}

/** What a row made: the revision (or range) to verify, the commit judged, files, another repo. */
interface Made {
  readonly rev: string;
  /** The commit whose verdict the row's line is about (exit 1: rejected, named in the summary). */
  readonly judged?: string;
  /** Files written in the test home; `@name` in the row's args is its path. */
  readonly files?: Readonly<Record<string, string>>;
  /** `--repo` when it is not the shared repository (a shallow clone, a plain directory). */
  readonly repo?: string;
  /** Every commit made, for the row's own checks. */
  readonly ids?: readonly string[];
}

interface Case {
  readonly name: string;
  readonly make: () => Made;
  /** After the revision and --repo. `@signers` and `@pgp` are the shared lists. */
  readonly args: readonly string[];
  readonly exit: 0 | 1 | 2;
  readonly code?: string;
  /** The judged commit's reason when there is one, else the summary line. */
  readonly line?: RegExp;
  readonly then?: (result: Cli, made: Made) => void;
}

describe('sathos verify-commits', () => {
  let repo: TestRepo;
  let alice: SshKeyFiles;
  let aliceEcdsa: SshKeyFiles;
  let aliceRsa: SshKeyFiles;
  let mallory: SshKeyFiles;
  let ca: SshKeyFiles;
  let certUser: SshKeyFiles;
  let signers: string;
  let pgpKeys: string;
  let pgpEd: string;
  let pgpRsa: string;
  let pgpEc: string;

  before(() => {
    repo = TestRepo.create();
    alice = repo.sshKey('alice', 'ed25519');
    aliceEcdsa = repo.sshKey('alice-ecdsa', 'ecdsa');
    aliceRsa = repo.sshKey('alice-rsa', 'rsa');
    mallory = repo.sshKey('mallory', 'ed25519');
    ca = repo.sshKey('ca', 'ed25519');
    certUser = repo.sshKey('cert-user', 'ecdsa');
    pgpEd = repo.gpgKey('Alice <alice@example.com>', 'ed25519');
    pgpRsa = repo.gpgKey('Alice (rsa) <alice@example.com>', 'rsa3072');
    pgpEc = repo.gpgKey('Alice (ec) <alice@example.com>', 'nistp256');
    signers = join(repo.home, 'allowed_signers');
    writeFileSync(
      signers,
      allowedSignersLine('alice@example.com', alice) +
        allowedSignersLine('*@example.com,!mallory@example.com', aliceEcdsa, 'namespaces="git"') +
        allowedSignersLine('alice@example.com', aliceRsa, 'valid-after="20200101"'),
    );
    pgpKeys = join(repo.home, 'keys.asc');
    writeFileSync(pgpKeys, [pgpEd, pgpRsa, pgpEc].map((f) => repo.gpgPublicKey(f)).join(''));
    repo.commit({ signing: { none: true } });
  });
  after(() => {
    repo.dispose();
  });

  const ssh = (key: () => SshKeyFiles) => () => ({ ssh: key().privatePath });
  /** One commit signed (or not) as given: the row verifies it alone. */
  const one =
    (signing: () => Parameters<TestRepo['commit']>[0]['signing'], email?: string) => (): Made => {
      const id = repo.commit({ signing: signing(), ...(email === undefined ? {} : { email }) });
      return { rev: id, judged: id };
    };
  /** A commit whose message was changed after signing (so its signature no longer covers it). */
  const altered = (signing: () => Parameters<TestRepo['commit']>[0]['signing']) => (): Made => {
    const signed = repo.commit({ signing: signing() });
    const forged = repo.writeCommit(
      repo.raw(signed).replace(/\n\n[\s\S]*$/, '\n\nan innocent message\n'),
    );
    assert.notEqual(forged, signed);
    return { rev: forged, judged: forged };
  };
  /** An unsigned commit rewritten with `message` and the signature `sign` makes over its bytes. */
  const resigned =
    (message: string, sign: (raw: string) => string, edit = (r: string) => r) =>
    (): Made => {
      const unsigned = repo.commit({ signing: { none: true } });
      const raw = edit(withoutSignature(repo.raw(unsigned))).replace(
        /\n\n[\s\S]*$/,
        `\n\n${message}\n`,
      );
      const forged = repo.writeCommit(withSignature(raw, sign(raw)));
      return { rev: forged, judged: forged };
    };
  const window = (name: string, options: string) => ({
    [name]: allowedSignersLine('alice@example.com', alice, options),
  });
  const certified = (principal: string, file: string, validity?: string) => (): Made => {
    const cert = repo.sshCertificate(
      ca,
      certUser,
      principal,
      ...(validity === undefined ? [] : [validity]),
    );
    const id = repo.commit({ signing: { ssh: cert } });
    const line =
      file === 'ca_plain'
        ? allowedSignersLine('*@example.com', ca)
        : allowedSignersLine('*@example.com', ca, 'cert-authority');
    return { rev: id, judged: id, files: { [file]: line } };
  };
  /** A clone holding only `base` and `head` at depth 1: the history between them is cut. */
  const shallow = (name: string, hiddenUnsigned: boolean) => (): Made => {
    const base = repo.commit({ signing: { ssh: alice.privatePath } });
    const hidden = hiddenUnsigned ? [repo.commit({ signing: { none: true } })] : [];
    const head = repo.commit({ signing: { ssh: alice.privatePath } });
    const clone = join(repo.home, name);
    repo.run('git', ['init', '-q', clone]);
    for (const id of [head, base]) {
      repo.run('git', ['-C', clone, 'fetch', '-q', '--depth=1', `file://${repo.dir}`, id]);
    }
    return { rev: `${base}..${head}`, repo: clone, ids: hidden };
  };
  const zeros = '0'.repeat(40);

  const cases: Case[] = [
    {
      name: 'verifies SSH (Ed25519, ECDSA, RSA) and OpenPGP (Ed25519, RSA, ECDSA) signatures',
      make: () => {
        const base = repo.head();
        const ids = [
          repo.commit({ signing: { ssh: alice.privatePath } }),
          repo.commit({ signing: { ssh: aliceEcdsa.privatePath } }),
          repo.commit({ signing: { ssh: aliceRsa.privatePath } }),
          repo.commit({ signing: { gpg: pgpEd } }),
          repo.commit({ signing: { gpg: pgpRsa } }),
          repo.commit({ signing: { gpg: pgpEc } }),
        ];
        return { rev: `${base}..HEAD`, ids };
      },
      args: ['--allowed-signers', '@signers', '--pgp-keys', '@pgp'],
      exit: 0,
      then: (result, made) => {
        const ids = made.ids ?? [];
        assert.equal(result.json.verified, true);
        assert.deepEqual(
          result.json.commits.map((c) => [c.commit, c.verdict, c.format]),
          ids.map((id, i) => [id, 'verified', i < 3 ? 'ssh' : 'openpgp']),
        );
        assert.equal(verdictOf(result, ids[0] ?? '').signer, 'alice@example.com');
        assert.match(verdictOf(result, ids[3] ?? '').key ?? '', new RegExp(pgpEd));
      },
    },
    {
      name: 'rejects an unsigned commit in a range, naming it',
      make: () => {
        const base = repo.head();
        repo.commit({ signing: { ssh: alice.privatePath } });
        const bad = repo.commit({ signing: { none: true } });
        return { rev: `${base}..HEAD`, judged: bad };
      },
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /not signed/,
      then: (result, made) => {
        assert.equal(verdictOf(result, made.judged ?? '').format, 'none');
      },
    },
    {
      name: 'rejects an SSH key missing from allowed_signers',
      make: one(ssh(() => mallory)),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /signing key is not in allowed_signers/,
    },
    {
      name: 'rejects an OpenPGP key missing from the keys',
      make: one(() => ({ gpg: repo.gpgKey('Alice (other) <alice@example.com>', 'ed25519') })),
      args: ['--pgp-keys', '@pgp'],
      exit: 1,
      line: /not in the allowed keys/,
    },
    {
      name: 'rejects an allowed key used by another committer',
      make: one(
        ssh(() => alice),
        'mallory@example.com',
      ),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /not for the committer mallory@example\.com/,
    },
    {
      name: 'rejects a principal excluded by a negated pattern',
      make: one(
        ssh(() => aliceEcdsa),
        'mallory@example.com',
      ),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /not for the committer/,
    },
    {
      name: 'rejects an SSH-signed commit whose content no longer matches its signature',
      make: altered(ssh(() => alice)),
      args: ['--allowed-signers', '@signers', '--pgp-keys', '@pgp'],
      exit: 1,
      line: /does not verify/,
    },
    {
      name: 'rejects an OpenPGP-signed commit whose content no longer matches its signature',
      make: altered(() => ({ gpg: pgpEd })),
      args: ['--allowed-signers', '@signers', '--pgp-keys', '@pgp'],
      exit: 1,
      line: /does not verify/,
    },
    {
      name: 'rejects an SSH signature made for another namespace, though the key is allowed',
      make: resigned('signed as a file', (raw) => repo.sshSign(alice, raw, 'file')),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /namespace "file", not "git"/,
    },
    {
      name: 'rejects a commit made after the entry is valid-before',
      make: () => ({
        ...one(ssh(() => alice))(),
        files: window('expired', 'valid-before="20200101Z"'),
      }),
      args: ['--allowed-signers', '@expired'],
      exit: 1,
      line: /valid before 2020-01-01T00:00:00Z/,
    },
    {
      name: 'rejects a commit made before the entry is valid-after',
      make: () => ({
        ...one(ssh(() => alice))(),
        files: window('future', 'valid-after="209901011200"'),
      }),
      args: ['--allowed-signers', '@future'],
      exit: 1,
      line: /valid after 2099-01-01T12:00:00Z/,
    },
    {
      name: 'rejects a committer time beyond any date (not a window-passing NaN)',
      make: () => {
        const made = resigned(
          'far future',
          (raw) => repo.sshSign(alice, raw, 'git'),
          (raw) =>
            raw.replace(/^committer (.*) \d+ ([+-]\d{4})$/m, 'committer $1 999999999999999 $2'),
        )();
        return { rev: made.rev, files: window('expired-nan', 'valid-before="20200101Z"') };
      },
      args: ['--allowed-signers', '@expired-nan'],
      exit: 1,
      line: /committer line/,
      then: (result) => {
        assert.equal(result.json.verified, false);
      },
    },
    {
      name: 'accepts a commit dated inside the window when keys are judged at the committer time',
      make: () => {
        const ok = repo.commit({
          signing: { ssh: alice.privatePath },
          date: '2020-06-01T00:00:00Z',
        });
        return {
          rev: ok,
          files: window('window', 'valid-after="20190101",valid-before="20210101"'),
        };
      },
      args: ['--allowed-signers', '@window', '--signature-time', 'committer'],
      exit: 0,
    },
    {
      name: 'rejects a commit signed by an OpenPGP key expired at the commit time',
      make: () => {
        const key = repo.gpgKey('Alice (expiring) <alice@example.com>', 'ed25519', {
          fakedTime: '20200101T000000',
        });
        const bad = repo.commit({
          signing: { gpg: key, fakedTime: '20200105T000000' },
          date: '2020-01-05T00:00:00Z',
        });
        // After the commit was signed, the key's owner set it to expire on 2020-01-02.
        repo.gpgSetExpire(key, '1d', '20200101T060000');
        return { rev: bad, judged: bad, files: { 'expired.asc': repo.gpgPublicKey(key) } };
      },
      args: ['--pgp-keys', '@expired.asc'],
      exit: 1,
      line: /expired/i,
    },
    {
      name: 'accepts a commit signed while its OpenPGP key was valid, judged at the committer time',
      make: () => {
        const key = repo.gpgKey('Alice (short) <alice@example.com>', 'ed25519', {
          fakedTime: '20200101T000000',
          expire: '2d',
        });
        const ok = repo.commit({
          signing: { gpg: key, fakedTime: '20200102T000000' },
          date: '2020-01-02T00:00:00Z',
        });
        return { rev: ok, files: { 'short.asc': repo.gpgPublicKey(key) } };
      },
      args: ['--pgp-keys', '@short.asc', '--signature-time', 'committer'],
      exit: 0,
    },
    {
      name: 'rejects commits a revoked OpenPGP key signed',
      make: () => {
        const key = repo.gpgKey('Alice (revoked) <alice@example.com>', 'ed25519');
        const bad = repo.commit({ signing: { gpg: key } });
        repo.gpgRevoke(key);
        return { rev: bad, judged: bad, files: { 'revoked.asc': repo.gpgPublicKey(key) } };
      },
      args: ['--pgp-keys', '@revoked.asc'],
      exit: 1,
      line: /revoked/i,
    },
    {
      name: 'refuses keys that also hold a stale copy of a key from before its revocation',
      make: () => {
        const key = repo.gpgKey('Alice (stale) <alice@example.com>', 'ed25519');
        const stale = repo.gpgPublicKey(key);
        const bad = repo.commit({ signing: { gpg: key } });
        repo.gpgRevoke(key);
        return { rev: bad, ids: [key], files: { 'stale.asc': stale + repo.gpgPublicKey(key) } };
      },
      args: ['--pgp-keys', '@stale.asc'],
      exit: 2,
      code: 'POLICY_INVALID',
      then: (result, made) => {
        assert.match(result.json.reason, new RegExp(`${made.ids?.[0] ?? '?'}.*more than once`));
      },
    },
    {
      name: 'accepts an SSH certificate whose CA is a cert-authority for the committer',
      make: certified('alice@example.com', 'ca_signers'),
      args: ['--allowed-signers', '@ca_signers'],
      exit: 0,
    },
    {
      name: 'rejects an SSH certificate naming another principal',
      make: certified('bob@example.com', 'ca_signers'),
      args: ['--allowed-signers', '@ca_signers'],
      exit: 1,
      line: /certificate is for bob@example\.com/,
    },
    {
      name: 'rejects an SSH certificate whose CA is listed without cert-authority',
      make: certified('alice@example.com', 'ca_plain'),
      args: ['--allowed-signers', '@ca_plain'],
      exit: 1,
      line: /not a cert-authority/,
    },
    {
      name: 'rejects an SSH certificate expired at the commit time',
      make: certified('alice@example.com', 'ca_signers', '20190101:20190201'),
      args: ['--allowed-signers', '@ca_signers'],
      exit: 1,
      line: /certificate had expired/,
    },
    {
      name: 'rejects a merge commit, since --allowed-signers allows no merges',
      make: () => {
        const base = repo.head();
        repo.git(['checkout', '-q', '-b', 'topic']);
        repo.commit({ signing: { ssh: alice.privatePath } });
        repo.git(['checkout', '-q', 'main']);
        repo.commit({ signing: { ssh: alice.privatePath } });
        const merge = repo.merge('topic', { ssh: alice.privatePath });
        return { rev: `${base}..HEAD`, judged: merge };
      },
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /merge commit/,
      then: (result) => {
        assert.equal(result.json.commits.filter((c) => c.verdict === 'rejected').length, 1);
      },
    },
    {
      name: 'rejects a malformed x509 (gitsign) signature, naming what is malformed',
      make: resigned(
        'x509',
        () => '-----BEGIN SIGNED MESSAGE-----\nMIIB\n-----END SIGNED MESSAGE-----\n',
      ),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      line: /malformed gitsign signature: the CMS ContentInfo/,
      then: (result, made) => {
        assert.equal(verdictOf(result, made.judged ?? '').format, 'x509');
      },
    },
    {
      name: 'says an empty range verified nothing',
      make: () => ({ rev: 'HEAD..HEAD' }),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      code: 'RANGE_UNVERIFIABLE',
      line: /holds no commits: nothing was verified/,
      then: (result) => {
        assert.equal(result.json.verified, false);
        assert.equal(result.json.emptyRange, true);
      },
    },
    {
      name: 'refuses an all-zero base without a default branch',
      make: () => ({ rev: `${zeros}..HEAD` }),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      code: 'RANGE_UNVERIFIABLE',
      line: /all zeros.*default branch/,
    },
    {
      name: 'refuses a base git does not have without a default branch',
      make: () => ({ rev: `${'ab'.repeat(20)}..HEAD` }),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      code: 'RANGE_UNVERIFIABLE',
      line: /unknown to git/,
    },
    {
      name: 'verifies the commits not on the default branch, and rejects a bad one among them',
      make: () => {
        repo.git(['checkout', '-q', '-b', 'forced']);
        const good = repo.commit({ signing: { ssh: alice.privatePath } });
        const bad = repo.commit({ signing: { ssh: mallory.privatePath } });
        repo.git(['checkout', '-q', 'main']);
        return { rev: `${zeros}..forced`, judged: bad, ids: [good, bad] };
      },
      args: ['--default-branch', 'main', '--allowed-signers', '@signers'],
      exit: 1,
      line: /not in allowed_signers/,
      then: (result, made) => {
        assert.deepEqual(
          result.json.commits.map((c) => c.commit),
          made.ids,
        );
      },
    },
    {
      name: 'refuses a range whose history is cut (a shallow clone) instead of verifying part of it',
      make: shallow('shallow', true),
      args: ['--allowed-signers', '@signers'],
      exit: 1,
      code: 'RANGE_UNVERIFIABLE',
      then: (result, made) => {
        const hidden = made.ids?.[0] ?? '?';
        assert.match(result.json.reason, new RegExp(`${hidden.slice(0, 12)}.*shallow`));
      },
    },
    {
      name: 'still verifies a range whose first commit is the shallow boundary and whose parent is the base',
      make: shallow('shallow-ok', false),
      args: ['--allowed-signers', '@signers'],
      exit: 0,
    },
    {
      name: 'needs signers',
      make: () => ({ rev: 'HEAD' }),
      args: [],
      exit: 2,
      code: 'USAGE',
    },
    {
      name: 'names the allowed_signers line it cannot read',
      make: () => ({
        rev: 'HEAD',
        files: { broken: 'alice@example.com ssh-ed25519 !!!\n' },
      }),
      args: ['--allowed-signers', '@broken'],
      exit: 2,
      code: 'POLICY_INVALID',
      line: /line 1/,
    },
    {
      name: 'refuses a directory that is not a git repository',
      make: () => ({ rev: 'HEAD', repo: repo.home }),
      args: ['--allowed-signers', '@signers'],
      exit: 2,
      code: 'GIT_FAILED',
    },
    ...['cd'.repeat(20), 'no-such-branch', 'HEAD..no-such-branch'].map((rev): Case => ({
      name: `says in one line that revision ${rev} does not exist`,
      make: () => ({ rev }),
      args: ['--allowed-signers', '@signers'],
      exit: 2,
      code: 'USAGE',
      line: /^revision \S+ does not exist in the repository; [^\n]*$/,
    })),
  ];

  for (const c of cases) {
    it(`${c.name} (exit ${c.exit})`, async () => {
      const made = c.make();
      const paths: Record<string, string> = { signers, pgp: pgpKeys };
      for (const [name, text] of Object.entries(made.files ?? {})) {
        paths[name] = join(repo.home, name);
        writeFileSync(paths[name], text);
      }
      const args = c.args.map((a) => (a.startsWith('@') ? (paths[a.slice(1)] ?? a) : a));
      const result = await sathos([made.rev, '--repo', made.repo ?? repo.dir, ...args]);
      assert.equal(result.code, c.exit, result.json.reason);
      if (c.code !== undefined) assert.equal(result.json.code, c.code, result.json.reason);
      if (c.exit === 1 && made.judged !== undefined) {
        assertRejected(result, made.judged, c.line ?? /./);
      } else if (c.line !== undefined) {
        assert.match(result.json.reason, c.line);
      }
      c.then?.(result, made);
    });
  }
});
