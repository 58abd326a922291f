// End to end with real git and the loopback Sigstore stand-ins: gitsign-style x509 commits (a Fulcio
// certificate, a detached CMS over the commit, an RFC 3161 timestamp over the signature) pass
// `sathos verify-commits` only from an allowed identity with every proof intact; each attack is
// rejected with exit 1 and a reason naming what failed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import { trustFromJSON, verifyCommits, type CommitPolicy, type CommitVerdict } from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { initializeTSA } from '@sigstore/mock/dist/timestamp/index.js';
import {
  ALICE,
  ALICE_RULE,
  gitsignSignature,
  gitsignSigner,
  tokenOfResponse,
  type GitsignOptions,
  type GitsignSigner,
} from './gitsign-builder.js';
import { TestRepo, withSignature } from './repo-builder.js';

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

function onlyVerdict(result: Cli): CommitVerdict {
  assert.equal(result.json.commits.length, 1, result.json.reason);
  return result.json.commits[0] as CommitVerdict;
}

function assertRejected(result: Cli, reason: RegExp): void {
  assert.equal(result.code, 1, result.json.reason);
  assert.equal(result.json.code, 'COMMIT_REJECTED');
  const verdict = onlyVerdict(result);
  assert.equal(verdict.verdict, 'rejected');
  assert.equal(verdict.format, 'x509');
  assert.match(verdict.reason, reason);
}

/** A trusted root like the stand-in's, but whose only timestamp authority stamps at `clock`. */
async function rootWithTsaAt(
  standIn: SigstoreStandIn,
  clock: Date,
): Promise<{ root: Record<string, unknown>; stamp: (digest: Buffer) => Promise<Buffer> }> {
  const tsa = await initializeTSA(generateKeyPairSync('ec', { namedCurve: 'P-256' }), clock);
  const b64 = (v: ArrayBufferView): string =>
    Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  const root = {
    ...standIn.trustedRoot,
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: 'https://tsa.invalid',
        certChain: {
          certificates: [tsa.intCertificate, tsa.rootCertificate].map((c) => ({
            rawBytes: b64(c),
          })),
        },
        validFor: { start: new Date(Date.now() - 3 * 3600_000).toISOString() },
      },
    ],
  };
  const stamp = async (digest: Buffer): Promise<Buffer> => {
    const response = await tsa.timestamp({
      artifactHash: digest,
      hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      nonce: 1,
      policyOID: '1.3.6.1.4.1.57264.2',
      certReq: true,
    });
    return tokenOfResponse(Buffer.from(response.buffer, response.byteOffset, response.byteLength));
  };
  return { root, stamp };
}

describe('gitsign (x509) commit signatures', () => {
  let standIn: SigstoreStandIn;
  let otherStandIn: SigstoreStandIn;
  let repo: TestRepo;
  let alice: GitsignSigner;
  let rootPath: string;
  const allowAlice = (): string[] => [
    '--cert-identity',
    ALICE_RULE.subject,
    '--cert-oidc-issuer',
    ALICE_RULE.issuer,
    '--trusted-root',
    rootPath,
  ];

  /** Commits `files` unsigned, then stores the same commit with a gitsign signature over it. */
  async function gitsignCommit(
    options: GitsignOptions & {
      signer?: GitsignSigner;
      files?: Record<string, string>;
      from?: SigstoreStandIn;
      /** The committer's email (alice@example.com unless said). */
      email?: string;
    } = {},
  ): Promise<string> {
    const unsigned = repo.commit({
      signing: { none: true },
      ...(options.email === undefined ? {} : { email: options.email }),
      ...(options.files === undefined ? {} : { files: options.files }),
    });
    const raw = repo.raw(unsigned);
    const signature = await gitsignSignature(
      options.from ?? standIn,
      options.signer ?? alice,
      Buffer.from(raw),
      options,
    );
    const id = repo.writeCommit(withSignature(raw, signature));
    repo.git(['reset', '-q', '--soft', id]); // the next commit's parent is the signed one
    return id;
  }

  before(async () => {
    standIn = await startSigstoreStandIn();
    otherStandIn = await startSigstoreStandIn();
    repo = TestRepo.create();
    alice = await gitsignSigner(standIn, ALICE);
    rootPath = join(repo.home, 'trusted_root.json');
    writeFileSync(rootPath, JSON.stringify(standIn.trustedRoot));
  });

  after(async () => {
    repo.dispose();
    await Promise.all([standIn.close(), otherStandIn.close()]);
  });

  describe('when the commit is signed by an allowed identity with a trusted timestamp', () => {
    it('verifies it: signer is the SAN, key the certificate fingerprint', async () => {
      const id = await gitsignCommit();
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assert.equal(result.code, 0, result.json.reason);
      const verdict = onlyVerdict(result);
      assert.equal(verdict.verdict, 'verified');
      assert.equal(verdict.format, 'x509');
      assert.equal(verdict.signer, 'alice@example.com');
      assert.match(verdict.key ?? '', /^sha256:[0-9a-f]{64}$/);
    });

    it('verifies a range of them, and a subject pattern allows them too', async () => {
      const base = repo.head();
      await gitsignCommit();
      const head = await gitsignCommit();
      const result = await sathos([
        `${base}..${head}`,
        '--repo',
        repo.dir,
        '--cert-identity-regexp',
        '.*@example\\.com',
        '--cert-oidc-issuer',
        ALICE_RULE.issuer,
        '--trusted-root',
        rootPath,
      ]);
      assert.equal(result.code, 0, result.json.reason);
      assert.equal(result.json.commits.length, 2);
    });
  });

  describe('when the identity is not in the policy', () => {
    // An allowed identity is not a licence to commit as someone else: SSH and OpenPGP tie the
    // signer to the committer, and so must gitsign when the certificate names an email.
    it('rejects an allowed identity committing as someone else', async () => {
      const bob = await gitsignSigner(standIn, {
        sub: 'bob',
        iss: ALICE_RULE.issuer,
        email: 'bob@example.com',
        email_verified: true,
      });
      const allowEveryone = [
        '--repo',
        repo.dir,
        '--cert-identity-regexp',
        '.*@example\\.com',
        '--cert-oidc-issuer',
        ALICE_RULE.issuer,
        '--trusted-root',
        rootPath,
      ];
      const asAlice = await gitsignCommit({ signer: bob });
      assertRejected(
        await sathos([asAlice, ...allowEveryone]),
        /gitsign identity bob@example\.com \(issuer https:\/\/accounts\.example\.com\) is not the committer alice@example\.com/,
      );
      const asBob = await gitsignCommit({ signer: bob, email: 'Bob@Example.com' });
      const own = await sathos([asBob, ...allowEveryone]);
      assert.equal(own.code, 0, own.json.reason);
    });

    it('rejects a signer the rule does not name', async () => {
      const mallory = await gitsignSigner(standIn, {
        sub: 'mallory',
        iss: ALICE_RULE.issuer,
        email: 'mallory@example.com',
        email_verified: true,
      });
      const id = await gitsignCommit({ signer: mallory });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(
        result,
        /not allowed by commits\.signers: gitsign identity mallory@example\.com/,
      );
    });

    it('rejects the right subject from another OIDC issuer', async () => {
      const impostor = await gitsignSigner(standIn, { ...ALICE, iss: 'https://evil.example' });
      const id = await gitsignCommit({ signer: impostor });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /issuer https:\/\/evil\.example\)/);
    });

    it('rejects when the policy names only SSH signers', async () => {
      const id = await gitsignCommit();
      const signers = join(repo.home, 'allowed_signers');
      writeFileSync(signers, `alice@example.com ${repo.sshKey('gitsign-ssh').publicKey}\n`);
      const result = await sathos([
        id,
        '--repo',
        repo.dir,
        '--allowed-signers',
        signers,
        '--trusted-root',
        rootPath,
      ]);
      assertRejected(result, /it allows no gitsign identity/);
    });
  });

  describe('when the content was changed after signing', () => {
    it('rejects it: the messageDigest does not cover the new content', async () => {
      const id = await gitsignCommit();
      const altered = repo.raw(id).replace(/\n\n([^\n]*)\n$/, '\n\n$1 (edited)\n');
      const forged = repo.writeCommit(altered);
      const result = await sathos([forged, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /changed after signing/);
    });
  });

  describe('when the signature carries no timestamp', () => {
    it('rejects it, saying gitsign needs a timestamp authority or offline Rekor', async () => {
      const id = await gitsignCommit({ timestamp: 'none' });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /timestamp authority .*offline Rekor/);
    });
  });

  describe('when the timestamp is over another signature', () => {
    it('rejects it: its message imprint does not cover this signature', async () => {
      const id = await gitsignCommit({ timestamp: 'other-signature' });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /no trusted, valid signing time/);
    });
  });

  describe('when the certificate comes from another CA', () => {
    it('rejects it: the leaf does not chain to the trusted root', async () => {
      const foreign = await gitsignSigner(otherStandIn, ALICE);
      const id = await gitsignCommit({ signer: foreign });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /does not chain to the trusted root/);
    });

    it('rejects a stand-in certificate against the default public-good root', async () => {
      const id = await gitsignCommit();
      const result = await sathos([
        id,
        '--repo',
        repo.dir,
        '--cert-identity',
        ALICE_RULE.subject,
        '--cert-oidc-issuer',
        ALICE_RULE.issuer,
      ]);
      assert.equal(result.code, 1);
      assert.equal(onlyVerdict(result).verdict, 'rejected');
    });
  });

  describe('when the timestamp authority is not in the trusted root', () => {
    it('rejects a token from the other stand-in TSA', async () => {
      const id = await gitsignCommit({ from: otherStandIn });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /no trusted, valid signing time/);
    });
  });

  describe('when the trusted timestamp lies outside the certificate validity', () => {
    // Before issuance the mock TSA's own certificates are not yet valid either, so that token is
    // refused as a signing time before the leaf is even looked at; both are rejections.
    for (const [when, offset, reason] of [
      ['after it expired', 3600_000, /does not chain to the trusted root at signing time/],
      ['before it was issued', -3600_000, /no trusted, valid signing time|does not chain/],
    ] as const) {
      it(`rejects a time ${when}`, async () => {
        const clock = new Date(Math.floor((Date.now() + offset) / 1000) * 1000);
        const { root, stamp } = await rootWithTsaAt(standIn, clock);
        const path = join(repo.home, `root-${offset}.json`);
        writeFileSync(path, JSON.stringify(root));
        const id = await gitsignCommit({ stamp });
        const args = [id, '--repo', repo.dir, ...allowAlice().slice(0, 4)];
        const result = await sathos([...args, '--trusted-root', path]);
        assertRejected(result, reason);
      });
    }

    it('verifies the same construction with a time inside it (the control)', async () => {
      const { root, stamp } = await rootWithTsaAt(
        standIn,
        new Date(Math.floor(Date.now() / 1000) * 1000 + 1000),
      );
      const path = join(repo.home, 'root-now.json');
      writeFileSync(path, JSON.stringify(root));
      const id = await gitsignCommit({ stamp });
      const args = [id, '--repo', repo.dir, ...allowAlice().slice(0, 4)];
      const result = await sathos([...args, '--trusted-root', path]);
      assert.equal(result.code, 0, result.json.reason);
    });
  });

  describe('when the CMS holds two signers', () => {
    it('rejects it: exactly one signer is accepted', async () => {
      const second = await gitsignSigner(standIn, ALICE);
      const id = await gitsignCommit({ secondSigner: second });
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /2 signers; exactly one is accepted/);
    });
  });

  describe('when the CMS is malformed', () => {
    it('rejects it with a clear reason, never a crash', async () => {
      const unsigned = repo.commit({ signing: { none: true } });
      const garbage = '-----BEGIN SIGNED MESSAGE-----\nMAA=\n-----END SIGNED MESSAGE-----\n';
      const id = repo.writeCommit(withSignature(repo.raw(unsigned), garbage));
      const result = await sathos([id, '--repo', repo.dir, ...allowAlice()]);
      assertRejected(result, /malformed gitsign signature/);
    });
  });

  describe('when a commit touches protected paths', () => {
    const policy = (protectedRule: typeof ALICE_RULE): CommitPolicy => ({
      signers: { gitsign: [ALICE_RULE] },
      protectedPaths: [{ paths: ['.github/workflows/**'], gitsign: [protectedRule] }],
      allowMergeCommits: false,
      allowWebFlow: false,
    });
    const verify = async (id: string, p: CommitPolicy): Promise<CommitVerdict> => {
      const trust = trustFromJSON(JSON.parse(readFileSync(rootPath, 'utf8')), 'stand-in');
      const result = await verifyCommits({
        git: openGitRepository(repo.dir),
        range: { kind: 'list', commits: [id] },
        policy: p,
        trust,
        now: new Date(),
      });
      return result.commits[0] as CommitVerdict;
    };

    it('rejects a signer the stricter set does not name', async () => {
      const id = await gitsignCommit({ files: { '.github/workflows/ci.yml': 'on: push\n' } });
      const verdict = await verify(id, policy({ ...ALICE_RULE, subject: 'release@example.com' }));
      assert.equal(verdict.verdict, 'rejected');
      assert.match(verdict.reason, /not allowed by commits\.protectedPaths\[0\]/);
    });

    it('verifies a signer both sets name', async () => {
      const id = await gitsignCommit({ files: { '.github/workflows/deploy.yml': 'on: push\n' } });
      const verdict = await verify(id, policy(ALICE_RULE));
      assert.equal(verdict.verdict, 'verified', verdict.reason);
      assert.deepEqual(verdict.protectedPaths, ['.github/workflows/**']);
    });
  });

  describe('when the commit is a real gitsign commit from public-good (offline Rekor mode)', () => {
    it('verifies it against the embedded root with no network', async () => {
      const raw = readFileSync(new URL('fixtures/gitsign-offline.commit', import.meta.url), 'utf8');
      const id = repo.writeCommit(raw);
      const result = await sathos([
        id,
        '--repo',
        repo.dir,
        '--cert-identity',
        'billy@chainguard.dev',
        '--cert-oidc-issuer',
        'https://accounts.google.com',
      ]);
      assert.equal(result.code, 0, result.json.reason);
      assert.equal(onlyVerdict(result).signer, 'billy@chainguard.dev');
    });
  });

  describe('when the --cert-* flags are incomplete', () => {
    it('is a usage error (exit 2)', async () => {
      const result = await sathos(['HEAD', '--repo', repo.dir, '--cert-identity', 'a@b.c']);
      assert.equal(result.code, 2);
      assert.match(result.json.reason, /issuer is required/);
    });
  });
});
