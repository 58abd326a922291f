// Back-dated commits: the committer time is whatever the signer writes, so a key stolen after it
// expired (or after its allowed_signers window closed) can sign a commit dated back into its validity.
// Under the default `trusted` signature time the key must be valid now — when the record is made —
// and the back-dated commit is rejected; `committer` (documented as weaker) accepts it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitVerdict } from '@sathos/core';
import { parsePolicy } from '@sathos/core';
import { TestRepo, allowedSignersLine, type SshKeyFiles } from './repo-builder.js';

interface Cli {
  code: number;
  json: { verified: boolean; code: string; reason: string; commits: CommitVerdict[] };
}

async function sathos(args: readonly string[]): Promise<Cli> {
  let out = '';
  const code = await runCli(['verify-commits', ...args, '--json'], {
    out: (t) => (out += t),
    err: () => undefined,
  });
  return { code, json: JSON.parse(out) as Cli['json'] };
}

const POLICY_HEAD = `apiVersion: sathos.dev/v1
kind: Policy
metadata: { name: back-dating }
stages: [source]
identities:
  source: [{ keyId: "sha256:${'b'.repeat(64)}" }]
`;

/** A policy whose commits section allows `allowedSigners`, judged at `signatureTime` if given. */
function policyText(allowedSigners: string, signatureTime?: string): string {
  const when = signatureTime === undefined ? '' : `  signatureTime: ${signatureTime}\n`;
  const signers = allowedSigners
    .trim()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
  return `${POLICY_HEAD}commits:\n  signers:\n    allowedSigners: |\n${signers}\n${when}`;
}

describe('back-dated commit signatures', () => {
  let repo: TestRepo;
  let alice: SshKeyFiles;
  /** alice's allowed_signers entry closed at the start of 2021 (the key was rotated). */
  let rotated: string;
  /** A commit signed today by the rotated key, dated back into 2020. */
  let backDated: string;

  const write = (name: string, text: string): string => {
    const path = join(repo.home, name);
    writeFileSync(path, text);
    return path;
  };

  before(() => {
    repo = TestRepo.create();
    alice = repo.sshKey('alice', 'ed25519');
    rotated = allowedSignersLine(
      'alice@example.com',
      alice,
      'valid-after="20190101",valid-before="20210101"',
    );
    backDated = repo.commit({ signing: { ssh: alice.privatePath }, date: '2020-06-01T00:00:00Z' });
  });

  after(() => {
    repo.dispose();
  });

  describe('when an SSH key whose allowed_signers window has closed signs a back-dated commit', () => {
    it('rejects it by default: the key is judged now, when its window is closed', async () => {
      const result = await sathos([
        backDated,
        '--repo',
        repo.dir,
        '--allowed-signers',
        write('a', rotated),
      ]);
      assert.equal(result.code, 1, result.json.reason);
      assert.equal(result.json.code, 'COMMIT_REJECTED');
      assert.match(result.json.commits[0]?.reason ?? '', /valid before 2021-01-01T00:00:00Z/);
    });

    it('rejects it with --signature-time trusted', async () => {
      const signers = write('b', rotated);
      const result = await sathos([
        ...[backDated, '--repo', repo.dir, '--allowed-signers', signers],
        ...['--signature-time', 'trusted'],
      ]);
      assert.equal(result.code, 1, result.json.reason);
    });

    it('accepts it with --signature-time committer (the back-dating this setting allows)', async () => {
      const signers = write('c', rotated);
      const result = await sathos([
        ...[backDated, '--repo', repo.dir, '--allowed-signers', signers],
        ...['--signature-time', 'committer'],
      ]);
      assert.equal(result.code, 0, result.json.reason);
    });

    it('follows the policy: rejected by default and with signatureTime: trusted, accepted with committer', async () => {
      const codes: number[] = [];
      for (const when of [undefined, 'trusted', 'committer']) {
        const policy = write(`policy-${when ?? 'default'}.yaml`, policyText(rotated, when));
        codes.push((await sathos([backDated, '--repo', repo.dir, '--policy', policy])).code);
      }
      assert.deepEqual(codes, [1, 1, 0]);
    });

    it('still accepts a commit of a key valid now under the trusted time', async () => {
      const current = allowedSignersLine('alice@example.com', alice, 'valid-after="20190101"');
      const fresh = repo.commit({ signing: { ssh: alice.privatePath } });
      const result = await sathos([
        fresh,
        '--repo',
        repo.dir,
        '--allowed-signers',
        write('d', current),
      ]);
      assert.equal(result.code, 0, result.json.reason);
    });
  });

  describe('when an OpenPGP key that has expired signs a commit back-dated into its lifetime', () => {
    let keys: string;
    let forged: string;

    before(() => {
      // The key lived for two days in January 2020; the thief signs with gpg's clock set back too.
      const key = repo.gpgKey('Alice (short) <alice@example.com>', 'ed25519', {
        fakedTime: '20200101T000000',
        expire: '2d',
      });
      forged = repo.commit({
        signing: { gpg: key, fakedTime: '20200102T000000' },
        date: '2020-01-02T00:00:00Z',
      });
      keys = write('short.asc', repo.gpgPublicKey(key));
    });

    it('rejects it by default: the key has expired by now', async () => {
      const result = await sathos([forged, '--repo', repo.dir, '--pgp-keys', keys]);
      assert.equal(result.code, 1, result.json.reason);
      assert.match(result.json.commits[0]?.reason ?? '', /is not valid at .*expired/i);
    });

    it('accepts it with --signature-time committer (the back-dating this setting allows)', async () => {
      const result = await sathos([
        ...[forged, '--repo', repo.dir, '--pgp-keys', keys],
        ...['--signature-time', 'committer'],
      ]);
      assert.equal(result.code, 0, result.json.reason);
    });
  });

  describe('when an OpenPGP key revoked now signs a commit back-dated to before the revocation', () => {
    it('rejects it under both settings: a hard revocation holds at any time', async () => {
      const key = repo.gpgKey('Alice (stolen) <alice@example.com>', 'ed25519', {
        fakedTime: '20200101T000000',
      });
      const forged = repo.commit({
        signing: { gpg: key, fakedTime: '20200102T000000' },
        date: '2020-01-02T00:00:00Z',
      });
      repo.gpgRevoke(key);
      const keys = write('stolen.asc', repo.gpgPublicKey(key));
      for (const when of ['trusted', 'committer']) {
        const result = await sathos([
          ...[forged, '--repo', repo.dir, '--pgp-keys', keys],
          ...['--signature-time', when],
        ]);
        assert.equal(result.code, 1, `${when}: ${result.json.reason}`);
        assert.match(result.json.commits[0]?.reason ?? '', /revoked/i);
      }
    });
  });

  describe('when the setting is wrong', () => {
    it('refuses an unknown --signature-time as a usage error', async () => {
      const signers = write('e', rotated);
      const result = await sathos([
        ...[backDated, '--repo', repo.dir, '--allowed-signers', signers],
        ...['--signature-time', 'author'],
      ]);
      assert.equal(result.code, 2);
      assert.match(result.json.reason, /--signature-time must be trusted .* or committer/);
    });

    it('refuses --signature-time beside --policy (the policy says it)', async () => {
      const policy = write('policy-flag.yaml', policyText(rotated));
      const result = await sathos([
        ...[backDated, '--repo', repo.dir, '--policy', policy],
        ...['--signature-time', 'committer'],
      ]);
      assert.equal(result.code, 2);
      assert.match(result.json.reason, /drop --signature-time/);
    });

    it('refuses a policy whose signatureTime is neither trusted nor committer', () => {
      assert.throws(
        () => parsePolicy(policyText(rotated, 'author'), 'p.yaml'),
        /commits\.signatureTime must be trusted .* or committer/,
      );
    });

    it('reads a policy without signatureTime as trusted', () => {
      assert.equal(parsePolicy(policyText(rotated), 'p.yaml').commits?.signatureTime, 'trusted');
      const committer = parsePolicy(policyText(rotated, 'committer'), 'p.yaml');
      assert.equal(committer.commits?.signatureTime, 'committer');
    });
  });
});
