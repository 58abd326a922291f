// Real commits GitHub signed with its web-flow OpenPGP keys (test/fixtures/github-web-flow, see
// test/fixtures/NOTICE). Until 2021 GitHub wrote a wrong "left 16 bits of the hash" quick check into
// these signatures; gpg and `git verify-commit` ignore it (it is not signed), openpgp.js refused the
// signature before checking it. They must verify on the signature itself — and a signature whose
// quick check is right but whose signature is not must still be rejected.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readKeys, readSignature, type PublicKey, type SignaturePacket } from 'openpgp';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitVerdict, GitCommit } from '@sathos/core';
import { parseCommit, readPgpKeys, verifyPgpSignature } from '@sathos/core';
import { TestRepo } from './repo-builder.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'github-web-flow');
/** A GitHub web-UI merge of 2020-09-11 and a web-UI edit of 2020-10-29: both with a wrong quick check. */
const OLD_MERGE = 'ad41a6c27317e688719c813b0d6a25685a9bce54';
const OLD_EDIT = '7138cdd8a0631799764bb94705f41792d6893269';
/** A web-UI merge of 2024-01-22, signed by the key GitHub uses since 2024-01-16. */
const MODERN_MERGE = 'd984cb2e617ed5328d424000d8f3ac5b90787d08';
const OLD_KEY = '5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23';
const MODERN_KEY = '968479A1AFF927E37D1A566BB5690EEEBB952194';
/** The injected trusted time: after the old key expired (2024-01-16). */
const NOW = new Date('2026-06-01T00:00:00Z');

function rawCommit(id: string): Buffer {
  return readFileSync(join(FIXTURES, `${id}.commit`));
}

function commit(id: string): GitCommit {
  return parseCommit(id, rawCommit(id));
}

/** The digest a v4 binary signature signs, computed here independently of the verifier. */
function signedDigest(packet: SignaturePacket, payload: Buffer): Buffer {
  const hashed = Buffer.from(packet.signatureData ?? new Uint8Array());
  const trailer = Buffer.from([4, 0xff, 0, 0, 0, 0]);
  trailer.writeUInt32BE(hashed.length, 2);
  return createHash('sha256').update(payload).update(hashed).update(trailer).digest();
}

async function packetOf(armored: string): Promise<SignaturePacket> {
  const packet = (await readSignature({ armoredSignature: armored })).packets[0];
  assert.ok(packet, 'one signature packet');
  return packet;
}

/** The GitHub web-flow keys as ASCII armor (the fixture is GitHub's binary export). */
async function webFlowArmor(): Promise<string> {
  const keys = await readKeys({ binaryKeys: readFileSync(join(FIXTURES, 'web-flow.gpg')) });
  return keys.map((k) => k.armor()).join('\n');
}

describe('GitHub web-flow commit signatures', () => {
  let keys: PublicKey[];

  before(async () => {
    keys = await readPgpKeys(await webFlowArmor(), 'web-flow.gpg');
  });

  const verifyAt = (c: GitCommit, validAt: Date, signature = c.signature ?? '') =>
    verifyPgpSignature({
      armoredSignature: signature,
      payload: c.payload,
      keys,
      time: c.committer.time,
      validAt,
      email: c.committer.email,
    });

  describe('the fixtures', () => {
    it('are the commit objects byte for byte (each hashes to its id)', () => {
      for (const id of [OLD_MERGE, OLD_EDIT, MODERN_MERGE]) {
        const raw = rawCommit(id);
        const object = Buffer.concat([Buffer.from(`commit ${raw.length}\0`), raw]);
        assert.equal(createHash('sha1').update(object).digest('hex'), id);
      }
    });

    it('carry a wrong quick check before 2021 and a right one in 2024', async () => {
      for (const [id, wrong] of [
        [OLD_MERGE, true],
        [OLD_EDIT, true],
        [MODERN_MERGE, false],
      ] as const) {
        const c = commit(id);
        const packet = await packetOf(c.signature ?? '');
        const digest = signedDigest(packet, c.payload);
        const quick = Buffer.from(packet.signedHashValue ?? new Uint8Array());
        assert.equal(!quick.equals(digest.subarray(0, 2)), wrong, id);
      }
    });
  });

  describe('when a pre-2021 web-flow commit carries a wrong quick check', () => {
    it('verifies it on the signature itself at its committer time', async () => {
      for (const id of [OLD_MERGE, OLD_EDIT]) {
        const c = commit(id);
        const signer = await verifyAt(c, c.committer.time);
        assert.equal(signer.key, OLD_KEY);
        assert.equal(signer.signer, 'GitHub (web-flow commit signing) <noreply@github.com>');
      }
    });

    it('rejects it at a trusted time after the key expired, as git verify-commit does today', async () => {
      await assert.rejects(verifyAt(commit(OLD_EDIT), NOW), /is not valid at 2026-06-01.*expired/i);
    });

    it('rejects it when the signed content was changed (the quick check no longer shields it)', async () => {
      const c = commit(OLD_EDIT);
      const payload = Buffer.from(
        c.payload.toString('latin1').replace('licensed.yml to ci.yml', 'licensed.yml to cd.yml'),
        'latin1',
      );
      assert.notDeepEqual(payload, c.payload);
      await assert.rejects(
        verifyAt({ ...c, payload }, c.committer.time),
        (e: Error & { code?: string }) =>
          e.code === 'SIGNATURE_INVALID' && /does not verify/.test(e.message),
      );
    });

    it('rejects a signature whose quick check is right but whose signature is wrong', async () => {
      const c = commit(OLD_MERGE);
      const signature = await readSignature({ armoredSignature: c.signature ?? '' });
      const packet = signature.packets[0] as SignaturePacket;
      packet.signedHashValue = new Uint8Array(signedDigest(packet, c.payload).subarray(0, 2));
      const fixed = signature.armor();
      // The control: with only the quick check corrected, the signature verifies.
      assert.equal((await verifyAt(c, c.committer.time, fixed)).key, OLD_KEY);
      const bytes = signature.packets.write();
      const last = bytes.length - 1;
      bytes[last] = (bytes[last] ?? 0) ^ 0x01; // the last octet of the RSA signature value
      const forged = (await readSignature({ binarySignature: bytes })).armor();
      const quick = (await packetOf(forged)).signedHashValue ?? new Uint8Array();
      assert.deepEqual(Buffer.from(quick), signedDigest(packet, c.payload).subarray(0, 2));
      await assert.rejects(verifyAt(c, c.committer.time, forged), /does not verify/);
    });
  });

  describe('when a modern web-flow commit is verified', () => {
    it('verifies it at the trusted time with the current key', async () => {
      const signer = await verifyAt(commit(MODERN_MERGE), NOW);
      assert.equal(signer.key, MODERN_KEY);
      assert.equal(signer.signer, 'GitHub <noreply@github.com>');
    });
  });

  describe('sathos verify-commits on the real objects in a repository', () => {
    let repo: TestRepo;
    let policy: (signatureTime: string) => string;

    before(async () => {
      repo = TestRepo.create();
      for (const id of [OLD_MERGE, OLD_EDIT, MODERN_MERGE]) {
        const written = repo.git(
          ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'],
          {},
          rawCommit(id).toString('latin1'),
        );
        assert.equal(written, id);
      }
      const armored = (await webFlowArmor())
        .split('\n')
        .map((l) => `      ${l}`)
        .join('\n');
      policy = (signatureTime) => {
        const path = join(repo.home, `web-flow-${signatureTime}.yaml`);
        writeFileSync(
          path,
          `apiVersion: sathos.dev/v1
kind: Policy
metadata: { name: web-flow }
stages: [source]
identities:
  source: [{ keyId: "sha256:${'b'.repeat(64)}" }]
commits:
  signers:
    pgpKeys: |
${armored}
  allowMergeCommits: true
  allowWebFlow: true
  signatureTime: ${signatureTime}
`,
        );
        return path;
      };
    });

    after(() => {
      repo.dispose();
    });

    const run = async (args: readonly string[]) => {
      let out = '';
      const code = await runCli(['verify-commits', ...args, '--json'], {
        out: (t) => (out += t),
        err: () => undefined,
      });
      return { code, json: JSON.parse(out) as { reason: string; commits: CommitVerdict[] } };
    };

    it('verifies the pre-2021 commits at their committer time and the modern one either way', async () => {
      const old = await run([...[OLD_MERGE, '--repo', repo.dir, '--policy', policy('committer')]]);
      assert.equal(old.code, 0, old.json.reason);
      const edit = await run([OLD_EDIT, '--repo', repo.dir, '--policy', policy('committer')]);
      assert.equal(edit.code, 0, edit.json.reason);
      for (const when of ['committer', 'trusted']) {
        const modern = await run([MODERN_MERGE, '--repo', repo.dir, '--policy', policy(when)]);
        assert.equal(modern.code, 0, modern.json.reason);
      }
    });

    it('rejects the pre-2021 commits at the trusted time: GitHub let that key expire in 2024', async () => {
      const result = await run([OLD_EDIT, '--repo', repo.dir, '--policy', policy('trusted')]);
      assert.equal(result.code, 1, result.json.reason);
      assert.match(result.json.commits[0]?.reason ?? '', /expired/i);
    });
  });
});
