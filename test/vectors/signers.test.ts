// Nothing is trusted by default: verify-bundle refuses to run without a named signer, pairs
// identities with issuers as cosign does, and checks the `gh attestation verify` signer flags
// against the Fulcio certificate claims of real bundles.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import {
  verifyBundleCommand,
  type VerifyBundleOptions,
} from '../../packages/cli/src/commands/verify-bundle.js';
import { keySignedBundle, statementFor } from './key-signed-bundle.js';
import { vectorsDir } from './vector-cases.js';

const GH = join(vectorsDir(), 'cli-cli/pkg/cmd/attestation/test/data');
const PYPI = resolve(import.meta.dirname, '../fixtures/pypi');
const scratch = mkdtempSync(join(tmpdir(), 'sathos-signers-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** actions/attest-build-provenance in a reusable workflow, for malancas/attest-demo. */
const BASE = {
  bundle: join(GH, 'reusable-workflow-attestation.sigstore.json'),
  artifact: join(GH, 'reusable-workflow-artifact'),
};
const SAN =
  'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d';
const ISSUER = 'https://token.actions.githubusercontent.com';

/** Flags on top of BASE, which may also replace its bundle and artifact. */
type Flags = Partial<VerifyBundleOptions>;

async function expectUsage(options: Flags, pattern: RegExp): Promise<void> {
  const outcome = await verifyBundleCommand({ ...BASE, ...options });
  assert.equal(outcome.exitCode, 2, String(outcome.json.reason));
  assert.equal(outcome.json.code, 'USAGE');
  assert.match(String(outcome.json.reason), pattern);
}

async function expectVerified(options: Flags): Promise<void> {
  const outcome = await verifyBundleCommand({ ...BASE, ...options });
  assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
}

async function expectMismatch(options: Flags, pattern: RegExp): Promise<void> {
  const outcome = await verifyBundleCommand({ ...BASE, ...options });
  assert.equal(outcome.json.code, 'IDENTITY_MISMATCH', String(outcome.json.reason));
  assert.equal(outcome.exitCode, 1);
  assert.match(String(outcome.json.reason), pattern);
}

void describe('verify-bundle without a named signer', () => {
  void it('refuses to run (exit 2), saying how to name one', async () => {
    await expectUsage({}, /name the signer.*--insecure-any-signer/);
  });
  void it('refuses through the command line too, with one JSON object', async () => {
    let out = '';
    const code = await runCli(
      ['verify-bundle', BASE.bundle, '--artifact', BASE.artifact, '--json'],
      { out: (t) => (out += t), err: () => undefined },
    );
    assert.equal(code, 2);
    assert.equal((JSON.parse(out) as { code: string }).code, 'USAGE');
  });
  void it('accepts any signer only with --insecure-any-signer, and says so', async () => {
    const outcome = await verifyBundleCommand({ ...BASE, insecureAnySigner: true });
    assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
    assert.equal(outcome.json.anySigner, true);
    assert.ok(outcome.lines.some((l) => l.includes('warning: --insecure-any-signer')));
  });
  void it('refuses --insecure-any-signer beside a named signer', async () => {
    await expectUsage(
      { insecureAnySigner: true, certIdentity: SAN, certOidcIssuer: ISSUER },
      /contradicts/,
    );
  });
});

void describe('identity and issuer go together (as in cosign)', () => {
  void it('refuses --cert-oidc-issuer alone: any account of it could have signed', async () => {
    await expectUsage({ certOidcIssuer: ISSUER }, /--cert-oidc-issuer needs --cert-identity/);
  });
  void it('refuses --cert-identity without an issuer', async () => {
    await expectUsage({ certIdentity: SAN }, /--cert-identity needs --cert-oidc-issuer/);
  });
  void it('refuses --cert-identity-regexp without an issuer', async () => {
    await expectUsage({ certIdentityRegexp: '.*' }, /--cert-identity-regexp needs/);
  });
  void it('verifies with both', async () => {
    await expectVerified({ certIdentity: SAN, certOidcIssuer: ISSUER });
  });
});

void describe('the gh attestation verify signer flags', () => {
  const right: Flags = {
    owner: 'malancas',
    repo: 'malancas/attest-demo',
    signerWorkflow: 'github/artifact-attestations-workflows/.github/workflows/attest.yml',
    signerRepo: 'github/artifact-attestations-workflows',
    signerDigest: '09b495c3f12c7881b3cc17209a327792065c1a1d',
    sourceRef: 'refs/heads/main',
    sourceDigest: '95baf27389e83e6a5c48f42e190d48d7abcea19e',
    denySelfHostedRunners: true,
  };
  void it('verify a bundle whose certificate carries every claim named', async () => {
    await expectVerified(right);
  });
  void it('count as a signer on their own (--owner with the reusable workflow named)', async () => {
    await expectVerified({
      owner: 'Malancas',
      signerRepo: 'github/artifact-attestations-workflows',
    });
  });
  void it('--owner alone confines the signer to the owner (as gh): a reusable workflow elsewhere fails', async () => {
    await expectMismatch(
      { owner: 'malancas' },
      /expected a signer workflow in https:\/\/github\.com\/malancas \(a workflow elsewhere needs --signer-repo/,
    );
  });
  void it('accept a host in --signer-workflow', async () => {
    await expectVerified({
      signerWorkflow:
        'github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml',
    });
  });

  const wrong: [string, Flags, RegExp][] = [
    ['--owner', { owner: 'evil' }, /source repository owner https:\/\/github\.com\/evil/],
    [
      '--repo',
      { repo: 'malancas/other' },
      /source repository https:\/\/github\.com\/malancas\/other/,
    ],
    [
      '--signer-workflow',
      { signerWorkflow: 'github/artifact-attestations-workflows/.github/workflows/attest' },
      /signer workflow/,
    ],
    ['--signer-repo', { signerRepo: 'malancas/attest-demo' }, /a signer workflow in/],
    // Prefixes of the real names must not match: the owner, the repository, the workflow file.
    ['--owner (a prefix)', { owner: 'malanca' }, /source repository owner/],
    ['--repo (a prefix)', { repo: 'malancas/attest' }, /source repository/],
    [
      '--signer-repo (a prefix)',
      { signerRepo: 'github/artifact-attestations' },
      /a signer workflow in https:\/\/github\.com\/github\/artifact-attestations,/,
    ],
    [
      '--signer-workflow (another host)',
      {
        signerWorkflow:
          'ghe.example.com/github/artifact-attestations-workflows/.github/workflows/attest.yml',
      },
      /signer workflow https:\/\/ghe\.example\.com\//,
    ],
    ['--signer-digest', { signerDigest: 'a'.repeat(40) }, /signer digest a{40}/],
    ['--source-ref', { sourceRef: 'refs/heads/release' }, /source ref refs\/heads\/release/],
    ['--source-digest', { sourceDigest: 'b'.repeat(40) }, /source digest b{40}/],
  ];
  for (const [flag, options, pattern] of wrong) {
    void it(`reject a certificate another ${flag} names, saying what it says`, async () => {
      await expectMismatch({ ...right, ...options }, pattern);
    });
  }

  void it('imply GitHub Actions as the issuer', async () => {
    await expectMismatch(
      { repo: 'malancas/attest-demo', certOidcIssuer: 'https://gitlab.com' },
      /expected OIDC issuer https:\/\/gitlab\.com/,
    );
  });

  void it('--deny-self-hosted-runners rejects a runner that is not GitHub-hosted', async () => {
    // GitLab trusted publishing: runner environment "gitlab-hosted", re-wrapped as in messages.test.ts.
    const a = JSON.parse(
      readFileSync(join(PYPI, 'gitlab_oidc_project-0.0.3.tar.gz.publish.attestation'), 'utf8'),
    ) as {
      verification_material: { certificate: string; transparency_entries: unknown[] };
      envelope: { statement: string; signature: string };
    };
    const bundle = join(scratch, 'gitlab.json');
    writeFileSync(
      bundle,
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: {
          certificate: { rawBytes: a.verification_material.certificate },
          tlogEntries: a.verification_material.transparency_entries,
        },
        dsseEnvelope: {
          payload: a.envelope.statement,
          payloadType: 'application/vnd.in-toto+json',
          signatures: [{ sig: a.envelope.signature }],
        },
      }),
    );
    await expectMismatch(
      {
        bundle,
        artifact: join(PYPI, 'gitlab_oidc_project-0.0.3.tar.gz'),
        denySelfHostedRunners: true,
        certOidcIssuer: 'https://gitlab.com',
      },
      /expected a GitHub-hosted runner, but the certificate says "gitlab-hosted"/,
    );
  });

  // A key carries no claims: naming GitHub claims beside --key asks for two signer kinds at once.
  void it('refuse GitHub claim flags beside --key as a usage error (a key carries no claims)', async () => {
    const artifact = Buffer.from('air-gapped artifact');
    const signed = keySignedBundle(
      statementFor(createHash('sha256').update(artifact).digest('hex')),
    );
    const bundle = join(scratch, 'key.json');
    const artifactPath = join(scratch, 'artifact.bin');
    const key = join(scratch, 'key.pem');
    writeFileSync(bundle, JSON.stringify(signed.bundle));
    writeFileSync(artifactPath, artifact);
    writeFileSync(key, signed.publicKeyPem);
    await expectUsage(
      { bundle, artifact: artifactPath, key: [key], owner: 'malancas' },
      /give --key or a certificate signer/,
    );
  });

  const malformed: [string, Flags][] = [
    ['--repo without an owner', { repo: 'attest-demo' }],
    ['--owner with a slash', { owner: 'a/b' }],
    [
      '--signer-workflow without a path',
      { signerWorkflow: 'github/artifact-attestations-workflows' },
    ],
    ['--signer-digest that is not hex', { signerDigest: 'main' }],
    ['--source-digest too short', { sourceDigest: 'abc' }],
  ];
  for (const [label, options] of malformed) {
    void it(`refuse ${label} as a usage error`, async () => {
      await expectUsage(options, /must be/);
    });
  }
});
