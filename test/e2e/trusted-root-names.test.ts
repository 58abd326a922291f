// The embedded roots are reachable by name, and the default stays the public-good root: a
// GitHub-instance bundle verifies only when the user asks for GitHub's root.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import { vectorsDir } from '../vectors/vector-cases.js';

const DATA = join(vectorsDir(), 'cli-cli/pkg/cmd/attestation/test/data');
const BUNDLE = join(DATA, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl');
const ARTIFACT = join(DATA, 'github_provenance_demo-0.0.12-py3-none-any.whl');
const SAN =
  'https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

async function verify(
  ...extra: string[]
): Promise<{ code: number; json: Record<string, unknown> }> {
  let out = '';
  const signer = ['--cert-identity', SAN, '--cert-oidc-issuer', ISSUER];
  const code = await runCli(
    ['verify-bundle', BUNDLE, '--artifact', ARTIFACT, ...signer, ...extra, '--json'],
    {
      out: (t) => (out += t),
      err: () => undefined,
    },
  );
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

describe('--trusted-root embedded names', () => {
  it('verifies a GitHub-instance bundle with embedded:github', async () => {
    const result = await verify('--trusted-root', 'embedded:github');
    assert.equal(result.code, 0, JSON.stringify(result.json));
    assert.equal(result.json.verified, true);
  });

  it("verifies it with no --trusted-root: the root is chosen from the certificate's issuer", async () => {
    const result = await verify();
    assert.equal(result.code, 0, JSON.stringify(result.json));
    assert.match(String(result.json.trustedRoot), /GitHub's Sigstore instance/);
  });

  it('rejects it under embedded:public-good named explicitly', async () => {
    const result = await verify('--trusted-root', 'embedded:public-good');
    assert.equal(result.code, 1);
  });

  it('treats an unknown embedded name as a missing file (exit 2)', async () => {
    const result = await verify('--trusted-root', 'embedded:nope');
    assert.equal(result.code, 2);
    assert.equal(result.json.code, 'FILE_UNREADABLE');
  });
});
