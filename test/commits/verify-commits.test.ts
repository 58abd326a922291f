// End to end with real git, gpg and ssh-keygen: `sathos verify-commits` passes ranges of allowed SSH-
// and OpenPGP-signed commits, and rejects every attack with exit 1, naming the commit and the reason.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '@sathos/cli';
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

describe('sathos verify-commits', () => {
  let repo: TestRepo;
  let alice: SshKeyFiles;
  let aliceEcdsa: SshKeyFiles;
  let aliceRsa: SshKeyFiles;
  let mallory: SshKeyFiles;
  let signers: string;
  let pgpKeys: string;
  let pgpEd: string;
  let pgpRsa: string;
  let pgpEc: string;

  const write = (name: string, text: string): string => {
    const path = join(repo.home, name);
    writeFileSync(path, text);
    return path;
  };

  before(() => {
    repo = TestRepo.create();
    alice = repo.sshKey('alice', 'ed25519');
    aliceEcdsa = repo.sshKey('alice-ecdsa', 'ecdsa');
    aliceRsa = repo.sshKey('alice-rsa', 'rsa');
    mallory = repo.sshKey('mallory', 'ed25519');
    pgpEd = repo.gpgKey('Alice <alice@example.com>', 'ed25519');
    pgpRsa = repo.gpgKey('Alice (rsa) <alice@example.com>', 'rsa3072');
    pgpEc = repo.gpgKey('Alice (ec) <alice@example.com>', 'nistp256');
    signers = write(
      'allowed_signers',
      allowedSignersLine('alice@example.com', alice) +
        allowedSignersLine('*@example.com,!mallory@example.com', aliceEcdsa, 'namespaces="git"') +
        allowedSignersLine('alice@example.com', aliceRsa, 'valid-after="20200101"'),
    );
    pgpKeys = write('keys.asc', [pgpEd, pgpRsa, pgpEc].map((f) => repo.gpgPublicKey(f)).join(''));
    repo.commit({ signing: { none: true } });
  });
  after(() => {
    repo.dispose();
  });

  describe('when every commit of the range is signed by an allowed key', () => {
    it('verifies SSH (Ed25519, ECDSA, RSA) and OpenPGP (Ed25519, RSA, ECDSA) signatures and exits 0', async () => {
      const base = repo.head();
      const ids = [
        repo.commit({ signing: { ssh: alice.privatePath } }),
        repo.commit({ signing: { ssh: aliceEcdsa.privatePath } }),
        repo.commit({ signing: { ssh: aliceRsa.privatePath } }),
        repo.commit({ signing: { gpg: pgpEd } }),
        repo.commit({ signing: { gpg: pgpRsa } }),
        repo.commit({ signing: { gpg: pgpEc } }),
      ];
      const result = await sathos([
        `${base}..HEAD`,
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
        '--pgp-keys',
        pgpKeys,
      ]);
      assert.equal(result.code, 0, result.json.reason);
      assert.equal(result.json.verified, true);
      assert.deepEqual(
        result.json.commits.map((c) => [c.commit, c.verdict, c.format]),
        ids.map((id, i) => [id, 'verified', i < 3 ? 'ssh' : 'openpgp']),
      );
      assert.equal(verdictOf(result, ids[0] ?? '').signer, 'alice@example.com');
      assert.match(verdictOf(result, ids[3] ?? '').key ?? '', new RegExp(pgpEd));
    });
  });

  describe('when a commit is unsigned', () => {
    it('rejects it with exit 1 and names it', async () => {
      const base = repo.head();
      repo.commit({ signing: { ssh: alice.privatePath } });
      const bad = repo.commit({ signing: { none: true } });
      const result = await sathos([
        `${base}..HEAD`,
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
      ]);
      assertRejected(result, bad, /not signed/);
      assert.equal(verdictOf(result, bad).format, 'none');
    });
  });

  describe('when a commit is signed by a key that is not on the list', () => {
    it('rejects an SSH key missing from allowed_signers', async () => {
      const bad = repo.commit({ signing: { ssh: mallory.privatePath } });
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', signers]);
      assertRejected(result, bad, /signing key is not in allowed_signers/);
    });

    it('rejects an OpenPGP key missing from the keys', async () => {
      const other = repo.gpgKey('Alice (other) <alice@example.com>', 'ed25519');
      const bad = repo.commit({ signing: { gpg: other } });
      const result = await sathos([bad, '--repo', repo.dir, '--pgp-keys', pgpKeys]);
      assertRejected(result, bad, /not in the allowed keys/);
    });

    it('rejects an allowed key used by another committer', async () => {
      const bad = repo.commit({
        signing: { ssh: alice.privatePath },
        email: 'mallory@example.com',
      });
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', signers]);
      assertRejected(result, bad, /not for the committer mallory@example\.com/);
    });

    it('rejects a principal excluded by a negated pattern', async () => {
      const bad = repo.commit({
        signing: { ssh: aliceEcdsa.privatePath },
        email: 'mallory@example.com',
      });
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', signers]);
      assertRejected(result, bad, /not for the committer/);
    });
  });

  describe('when a signed commit was altered after signing', () => {
    for (const kind of ['ssh', 'openpgp'] as const) {
      it(`rejects the ${kind} commit whose content no longer matches its signature`, async () => {
        const signed = repo.commit({
          signing: kind === 'ssh' ? { ssh: alice.privatePath } : { gpg: pgpEd },
        });
        const forged = repo.writeCommit(
          repo.raw(signed).replace(/\n\n[\s\S]*$/, '\n\nan innocent message\n'),
        );
        assert.notEqual(forged, signed);
        const result = await sathos([
          forged,
          '--repo',
          repo.dir,
          '--allowed-signers',
          signers,
          '--pgp-keys',
          pgpKeys,
        ]);
        assertRejected(result, forged, /does not verify/);
      });
    }
  });

  describe('when an SSH signature was made for another namespace', () => {
    it('rejects it even though the key is allowed', async () => {
      const unsigned = repo.commit({ signing: { none: true } });
      const raw = withoutSignature(repo.raw(unsigned)).replace(
        /\n\n[\s\S]*$/,
        '\n\nsigned as a file\n',
      );
      const forged = repo.writeCommit(withSignature(raw, repo.sshSign(alice, raw, 'file')));
      const result = await sathos([forged, '--repo', repo.dir, '--allowed-signers', signers]);
      assertRejected(result, forged, /namespace "file", not "git"/);
    });
  });

  describe('when the allowed_signers entry is outside its validity window', () => {
    it('rejects a commit made after valid-before', async () => {
      const expired = write(
        'expired',
        allowedSignersLine('alice@example.com', alice, 'valid-before="20200101Z"'),
      );
      const bad = repo.commit({ signing: { ssh: alice.privatePath } });
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', expired]);
      assertRejected(result, bad, /valid before 2020-01-01T00:00:00Z/);
    });

    it('rejects a commit made before valid-after', async () => {
      const future = write(
        'future',
        allowedSignersLine('alice@example.com', alice, 'valid-after="209901011200"'),
      );
      const bad = repo.commit({ signing: { ssh: alice.privatePath } });
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', future]);
      assertRejected(result, bad, /valid after 2099-01-01T12:00:00Z/);
    });

    it('rejects a commit whose committer time is beyond any date (not a window-passing NaN)', async () => {
      const expired = write(
        'expired-nan',
        allowedSignersLine('alice@example.com', alice, 'valid-before="20200101Z"'),
      );
      const unsigned = repo.commit({ signing: { none: true } });
      const raw = withoutSignature(repo.raw(unsigned))
        .replace(/^committer (.*) \d+ ([+-]\d{4})$/m, 'committer $1 999999999999999 $2')
        .replace(/\n\n[\s\S]*$/, '\n\nfar future\n');
      const bad = repo.writeCommit(withSignature(raw, repo.sshSign(alice, raw, 'git')));
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', expired]);
      assert.equal(result.code, 1, result.json.reason);
      assert.equal(result.json.verified, false);
      assert.match(result.json.reason, /committer line/);
    });

    it('accepts a commit dated inside the window when keys are judged at the committer time', async () => {
      const window = write(
        'window',
        allowedSignersLine(
          'alice@example.com',
          alice,
          'valid-after="20190101",valid-before="20210101"',
        ),
      );
      const ok = repo.commit({ signing: { ssh: alice.privatePath }, date: '2020-06-01T00:00:00Z' });
      const result = await sathos([
        ...[ok, '--repo', repo.dir, '--allowed-signers', window],
        ...['--signature-time', 'committer'],
      ]);
      assert.equal(result.code, 0, result.json.reason);
    });
  });

  describe('when the OpenPGP key was expired at the commit time', () => {
    it('rejects the commit', async () => {
      const key = repo.gpgKey('Alice (expiring) <alice@example.com>', 'ed25519', {
        fakedTime: '20200101T000000',
      });
      const bad = repo.commit({
        signing: { gpg: key, fakedTime: '20200105T000000' },
        date: '2020-01-05T00:00:00Z',
      });
      // After the commit was signed, the key's owner set it to expire on 2020-01-02.
      repo.gpgSetExpire(key, '1d', '20200101T060000');
      const keys = write('expired.asc', repo.gpgPublicKey(key));
      const result = await sathos([bad, '--repo', repo.dir, '--pgp-keys', keys]);
      assertRejected(result, bad, /expired/i);
    });

    it('accepts a commit signed while the key was valid, though it has expired since, at the committer time', async () => {
      const key = repo.gpgKey('Alice (short) <alice@example.com>', 'ed25519', {
        fakedTime: '20200101T000000',
        expire: '2d',
      });
      const ok = repo.commit({
        signing: { gpg: key, fakedTime: '20200102T000000' },
        date: '2020-01-02T00:00:00Z',
      });
      const keys = write('short.asc', repo.gpgPublicKey(key));
      const result = await sathos([
        ...[ok, '--repo', repo.dir, '--pgp-keys', keys],
        ...['--signature-time', 'committer'],
      ]);
      assert.equal(result.code, 0, result.json.reason);
    });
  });

  describe('when the OpenPGP key has been revoked', () => {
    it('rejects commits it signed', async () => {
      const key = repo.gpgKey('Alice (revoked) <alice@example.com>', 'ed25519');
      const bad = repo.commit({ signing: { gpg: key } });
      repo.gpgRevoke(key);
      const keys = write('revoked.asc', repo.gpgPublicKey(key));
      const result = await sathos([bad, '--repo', repo.dir, '--pgp-keys', keys]);
      assertRejected(result, bad, /revoked/i);
    });

    it('refuses keys that also hold a stale copy of it from before the revocation', async () => {
      const key = repo.gpgKey('Alice (stale) <alice@example.com>', 'ed25519');
      const stale = repo.gpgPublicKey(key);
      const bad = repo.commit({ signing: { gpg: key } });
      repo.gpgRevoke(key);
      const keys = write('stale.asc', stale + repo.gpgPublicKey(key));
      const result = await sathos([bad, '--repo', repo.dir, '--pgp-keys', keys]);
      assert.equal(result.code, 2, result.json.reason);
      assert.equal(result.json.code, 'POLICY_INVALID');
      assert.match(result.json.reason, new RegExp(`${key}.*more than once`));
    });
  });

  describe('when a commit is signed with an SSH certificate', () => {
    let ca: SshKeyFiles;
    let user: SshKeyFiles;
    before(() => {
      ca = repo.sshKey('ca', 'ed25519');
      user = repo.sshKey('cert-user', 'ecdsa');
    });

    it('accepts it when its CA is a cert-authority for the committer', async () => {
      const cert = repo.sshCertificate(ca, user, 'alice@example.com');
      const ok = repo.commit({ signing: { ssh: cert } });
      const file = write('ca_signers', allowedSignersLine('*@example.com', ca, 'cert-authority'));
      const result = await sathos([ok, '--repo', repo.dir, '--allowed-signers', file]);
      assert.equal(result.code, 0, result.json.reason);
    });

    it('rejects it when the certificate names another principal', async () => {
      const cert = repo.sshCertificate(ca, user, 'bob@example.com');
      const bad = repo.commit({ signing: { ssh: cert } });
      const file = write('ca_signers', allowedSignersLine('*@example.com', ca, 'cert-authority'));
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', file]);
      assertRejected(result, bad, /certificate is for bob@example\.com/);
    });

    it('rejects it when the CA is listed without cert-authority', async () => {
      const cert = repo.sshCertificate(ca, user, 'alice@example.com');
      const bad = repo.commit({ signing: { ssh: cert } });
      const file = write('ca_plain', allowedSignersLine('*@example.com', ca));
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', file]);
      assertRejected(result, bad, /not a cert-authority/);
    });

    it('rejects it when the certificate had expired at the commit time', async () => {
      const cert = repo.sshCertificate(ca, user, 'alice@example.com', '20190101:20190201');
      const bad = repo.commit({ signing: { ssh: cert } });
      const file = write('ca_signers', allowedSignersLine('*@example.com', ca, 'cert-authority'));
      const result = await sathos([bad, '--repo', repo.dir, '--allowed-signers', file]);
      assertRejected(result, bad, /certificate had expired/);
    });
  });

  describe('when a merge commit is in the range', () => {
    it('rejects the merge, since --allowed-signers allows no merges', async () => {
      const base = repo.head();
      repo.git(['checkout', '-q', '-b', 'topic']);
      repo.commit({ signing: { ssh: alice.privatePath } });
      repo.git(['checkout', '-q', 'main']);
      repo.commit({ signing: { ssh: alice.privatePath } });
      const merge = repo.merge('topic', { ssh: alice.privatePath });
      const result = await sathos([
        `${base}..HEAD`,
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
      ]);
      assertRejected(result, merge, /merge commit/);
      assert.equal(result.json.commits.filter((c) => c.verdict === 'rejected').length, 1);
    });
  });

  describe('when a commit carries a malformed x509 (gitsign) signature', () => {
    it('rejects it, naming what is malformed', async () => {
      const unsigned = repo.commit({ signing: { none: true } });
      const raw = withoutSignature(repo.raw(unsigned)).replace(/\n\n[\s\S]*$/, '\n\nx509\n');
      const sig = '-----BEGIN SIGNED MESSAGE-----\nMIIB\n-----END SIGNED MESSAGE-----\n';
      const forged = repo.writeCommit(withSignature(raw, sig));
      const result = await sathos([forged, '--repo', repo.dir, '--allowed-signers', signers]);
      assertRejected(result, forged, /malformed gitsign signature: the CMS ContentInfo/);
      assert.equal(verdictOf(result, forged).format, 'x509');
    });
  });

  describe('when the range is empty', () => {
    it('says nothing was verified and exits 1', async () => {
      const result = await sathos(['HEAD..HEAD', '--repo', repo.dir, '--allowed-signers', signers]);
      assert.equal(result.code, 1);
      assert.equal(result.json.verified, false);
      assert.equal(result.json.emptyRange, true);
      assert.equal(result.json.code, 'RANGE_UNVERIFIABLE');
      assert.match(result.json.reason, /holds no commits: nothing was verified/);
    });
  });

  describe('when the base is unknown (a new branch or a force push)', () => {
    const zeros = '0'.repeat(40);

    it('refuses an all-zero base without a default branch', async () => {
      const result = await sathos([
        `${zeros}..HEAD`,
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
      ]);
      assert.equal(result.code, 1);
      assert.equal(result.json.code, 'RANGE_UNVERIFIABLE');
      assert.match(result.json.reason, /all zeros.*default branch/);
    });

    it('refuses a base git does not have without a default branch', async () => {
      const result = await sathos([
        `${'ab'.repeat(20)}..HEAD`,
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
      ]);
      assert.equal(result.code, 1);
      assert.equal(result.json.code, 'RANGE_UNVERIFIABLE');
      assert.match(result.json.reason, /unknown to git/);
    });

    it('verifies the commits not on the default branch, and rejects a bad one among them', async () => {
      repo.git(['checkout', '-q', '-b', 'forced']);
      const good = repo.commit({ signing: { ssh: alice.privatePath } });
      const bad = repo.commit({ signing: { ssh: mallory.privatePath } });
      repo.git(['checkout', '-q', 'main']);
      const result = await sathos([
        `${zeros}..forced`,
        '--default-branch',
        'main',
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
      ]);
      assert.deepEqual(
        result.json.commits.map((c) => c.commit),
        [good, bad],
      );
      assertRejected(result, bad, /not in allowed_signers/);
    });
  });

  describe('when the history between base and head is cut (a shallow clone)', () => {
    it('refuses the range instead of verifying only the commits git can walk', async () => {
      const base = repo.commit({ signing: { ssh: alice.privatePath } });
      const hidden = repo.commit({ signing: { none: true } });
      const head = repo.commit({ signing: { ssh: alice.privatePath } });
      const clone = join(repo.home, 'shallow');
      repo.run('git', ['init', '-q', clone]);
      for (const id of [head, base]) {
        repo.run('git', ['-C', clone, 'fetch', '-q', '--depth=1', `file://${repo.dir}`, id]);
      }
      const result = await sathos([
        `${base}..${head}`,
        '--repo',
        clone,
        '--allowed-signers',
        signers,
      ]);
      assert.equal(result.code, 1, result.json.reason);
      assert.equal(result.json.code, 'RANGE_UNVERIFIABLE');
      assert.match(result.json.reason, new RegExp(`${hidden.slice(0, 12)}.*shallow`));
    });

    it('still verifies a range whose first commit is the shallow boundary and whose parent is the base', async () => {
      const base = repo.commit({ signing: { ssh: alice.privatePath } });
      const head = repo.commit({ signing: { ssh: alice.privatePath } });
      const clone = join(repo.home, 'shallow-ok');
      repo.run('git', ['init', '-q', clone]);
      for (const id of [head, base]) {
        repo.run('git', ['-C', clone, 'fetch', '-q', '--depth=1', `file://${repo.dir}`, id]);
      }
      const result = await sathos([
        `${base}..${head}`,
        '--repo',
        clone,
        '--allowed-signers',
        signers,
      ]);
      assert.equal(result.code, 0, result.json.reason);
    });
  });

  describe('when the input is unusable', () => {
    it('exits 2 without signers', async () => {
      const result = await sathos(['HEAD', '--repo', repo.dir]);
      assert.equal(result.code, 2);
      assert.equal(result.json.code, 'USAGE');
    });

    it('exits 2 on an allowed_signers line it cannot read, naming the line', async () => {
      const broken = write('broken', `alice@example.com ssh-ed25519 !!!\n`);
      const result = await sathos(['HEAD', '--repo', repo.dir, '--allowed-signers', broken]);
      assert.equal(result.code, 2);
      assert.equal(result.json.code, 'POLICY_INVALID');
      assert.match(result.json.reason, /line 1/);
    });

    it('exits 2 outside a git repository', async () => {
      const result = await sathos(['HEAD', '--repo', repo.home, '--allowed-signers', signers]);
      assert.equal(result.code, 2);
      assert.equal(result.json.code, 'GIT_FAILED');
    });

    it('exits 2 with one line for a revision that does not exist (a commit id, a name, a range end)', async () => {
      for (const rev of ['cd'.repeat(20), 'no-such-branch', `HEAD..no-such-branch`]) {
        const result = await sathos([rev, '--repo', repo.dir, '--allowed-signers', signers]);
        assert.equal(result.code, 2, result.json.reason);
        assert.equal(result.json.code, 'USAGE');
        assert.match(result.json.reason, /^revision \S+ does not exist in the repository; /);
        assert.doesNotMatch(result.json.reason, /\n/);
      }
    });
  });
});
