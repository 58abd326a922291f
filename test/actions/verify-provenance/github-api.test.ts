// Attestations listed by GitHub's attestations API for each artifact's digest (the loopback GitHub
// stand-in serving GitHub's own attest-build-provenance bundle): listed, never trusted — the right
// signer verifies, a wrong one fails, and an artifact GitHub lists nothing for fails.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordingIO, uploadAttestation, type RecordedIO } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import type { SignerFlags } from '@sathos/core';
import { run } from '../../../actions/verify-provenance/src/main.js';

const GH = resolve(
  import.meta.dirname,
  '../../fixtures/vectors/cli-cli/pkg/cmd/attestation/test/data',
);
const ARTIFACT = join(GH, 'github_provenance_demo-0.0.12-py3-none-any.whl');
const OTHER = join(GH, 'reusable-workflow-artifact');
const REPOSITORY = 'actions/attest-demo';
const TOKEN = 'ghs_stand_in';

void describe('verify-provenance over the GitHub attestations API', () => {
  let github: GitHubStandIn;
  before(async () => {
    github = await startGitHubStandIn({ apiToken: TOKEN });
    const line = (
      await readFile(join(GH, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'), 'utf8')
    ).trim();
    await uploadAttestation({
      apiUrl: github.apiUrl,
      fetch: globalThis.fetch,
      repository: REPOSITORY,
      bundle: JSON.parse(line),
      token: TOKEN,
    });
  });
  after(() => github.close());

  async function verify(artifacts: string[], signer: SignerFlags): Promise<RecordedIO> {
    const io = recordingIO();
    await run(
      {
        artifacts,
        digests: [],
        evidence: { kind: 'github', repository: REPOSITORY },
        verifyKeys: [],
        signer,
        githubToken: TOKEN,
      },
      { env: { GITHUB_API_URL: github.apiUrl }, fetch: globalThis.fetch, io },
    );
    return io;
  }

  void it('verifies the listed attestation with the right owner and repository', async () => {
    const io = await verify([ARTIFACT], { owner: 'actions', repo: REPOSITORY });
    assert.deepEqual(io.failures, [], JSON.stringify(io.lines));
    assert.equal(io.outputs.get('verified'), 'true');
    assert.ok(
      github.requests.some((r) => r.includes('/repos/actions/attest-demo/attestations/sha256:')),
    );
  });

  void it('fails with a wrong owner', async () => {
    const io = await verify([ARTIFACT], { owner: 'evil-org' });
    assert.equal(io.outputs.get('verified'), 'false');
    assert.match(io.failures[0] ?? '', /no bundle that verifies/);
    const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
    assert.match(errors[0] ?? '', /IDENTITY_MISMATCH: .*evil-org/);
  });

  void it('fails for an artifact GitHub lists no attestation for', async () => {
    const io = await verify([ARTIFACT, OTHER], { owner: 'actions', repo: REPOSITORY });
    assert.equal(io.outputs.get('verified'), 'false');
    const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0] ?? '',
      /^reusable-workflow-artifact: no bundle verifies — no bundles found/,
    );
  });
});
