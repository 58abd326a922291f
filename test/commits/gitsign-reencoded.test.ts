// End to end with real git: the real public-good gitsign commit (offline Rekor mode) verifies with
// `sathos verify-commits`; the same commit with its signature armor carrying base64 after the
// padding — a different commit id, decoded by Node to the same DER — is rejected. Before the reader
// compared the text with the canonical base64 of what it decoded, that copy verified as billy's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import type { CommitVerdict } from '@sathos/core';
import { TestRepo } from './repo-builder.js';

const END = '\n -----END SIGNED MESSAGE-----';

async function verify(
  repo: TestRepo,
  id: string,
): Promise<{ code: number; verdict: CommitVerdict }> {
  let out = '';
  const code = await runCli(
    [
      'verify-commits',
      id,
      '--repo',
      repo.dir,
      '--cert-identity',
      'billy@chainguard.dev',
      '--cert-oidc-issuer',
      'https://accounts.google.com',
      '--json',
    ],
    { out: (t) => (out += t), err: () => undefined },
  );
  const json = JSON.parse(out) as { commits: CommitVerdict[] };
  assert.equal(json.commits.length, 1);
  return { code, verdict: json.commits[0] as CommitVerdict };
}

describe('sathos verify-commits on a re-encoded real gitsign commit', () => {
  let repo: TestRepo;
  const raw = readFileSync(new URL('fixtures/gitsign-offline.commit', import.meta.url), 'utf8');

  before(() => {
    repo = TestRepo.create();
  });
  after(() => {
    repo.dispose();
  });

  it('verifies the commit as gitsign wrote it', async () => {
    const { code, verdict } = await verify(repo, repo.writeCommit(raw));
    assert.equal(code, 0, verdict.reason);
    assert.equal(verdict.signer, 'billy@chainguard.dev');
  });

  it('rejects the same commit with base64 after its armor padding (another commit id)', async () => {
    assert.ok(raw.includes(END), 'the fixture armor ends as expected');
    const original = repo.writeCommit(raw);
    const padded = repo.writeCommit(raw.replace(END, `=QUJDRA==${END}`));
    assert.notEqual(padded, original);
    const { code, verdict } = await verify(repo, padded);
    assert.equal(code, 1);
    assert.equal(verdict.verdict, 'rejected');
    assert.match(verdict.reason, /not canonical base64/);
  });
});
