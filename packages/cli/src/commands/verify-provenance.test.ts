// Attestations made by others, verified offline as `gh attestation verify` would: GitHub's
// actions/attest-build-provenance (GitHub's own instance and public-good), npm provenance (the
// sigstore-js release), PyPI and conda publish attestations — the right signer verifies, a wrong
// one fails with one line, the root is chosen from the certificate's issuer, the predicate defaults
// to SLSA provenance v1, and --json carries gh's verification result beside SATHOS's fields.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { verifyBundleCommand, type VerifyBundleOptions } from './verify-bundle.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures');
const VECTORS = join(FIXTURES, 'vectors');
const GH = join(VECTORS, 'cli-cli/pkg/cmd/attestation/test/data');

/** actions/attest-build-provenance in actions/attest-demo, signed on GitHub's instance (no log). */
const PRIVATE = {
  bundle: join(GH, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'),
  artifact: join(GH, 'github_provenance_demo-0.0.12-py3-none-any.whl'),
};
/** npm provenance of sigstore@2.1.0 (public-good, Rekor). */
const NPM = {
  bundle: join(GH, 'sigstore-js-2.1.0-bundle.json'),
  artifact: join(GH, 'sigstore-js-2.1.0.tgz'),
};
/** A conda publish attestation: GitHub Actions signer, a non-SLSA predicate. */
const CONDA_DIR = join(VECTORS, 'sigstore-rust/crates/sigstore-verify/test_data/bundles');
const CONDA = {
  bundle: join(CONDA_DIR, 'conda-attestation.sigstore.json'),
  artifact: join(CONDA_DIR, 'signed-package-2.1.0-hb0f4dca_0.conda'),
};
const STAGING = join(
  VECTORS,
  'sigstore-rust/crates/sigstore-trust-root/src/trusted_root_staging.json',
);
const PYPI = {
  bundle: join(FIXTURES, 'pypi/rfc8785-0.1.2-py3-none-any.whl.sigstore'),
  artifact: join(FIXTURES, 'pypi/rfc8785-0.1.2-py3-none-any.whl'),
  trustedRoot: STAGING,
};

type Run = Awaited<ReturnType<typeof verifyBundleCommand>>;

async function run(options: VerifyBundleOptions): Promise<Run> {
  return verifyBundleCommand(options);
}

function assertVerified(outcome: Run): void {
  assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
}

function assertRejected(outcome: Run, code: string, pattern: RegExp): void {
  assert.equal(outcome.exitCode, 1, String(outcome.json.reason));
  assert.equal(outcome.json.code, code, String(outcome.json.reason));
  assert.match(String(outcome.json.reason), pattern);
  assert.equal(outcome.lines.length, 1, 'one line says what was wrong');
}

const RIGHT_PRIVATE = {
  owner: 'actions',
  repo: 'actions/attest-demo',
  signerWorkflow: 'actions/attest-demo/.github/workflows/build-python.yml',
};

void describe("GitHub's actions/attest-build-provenance, offline", () => {
  void it('verifies with the right --owner/--repo/--signer-workflow, picking GitHub’s root from the certificate', async () => {
    const outcome = await run({ ...PRIVATE, ...RIGHT_PRIVATE });
    assertVerified(outcome);
    assert.match(String(outcome.json.trustedRoot), /GitHub's Sigstore instance/);
  });
  const wrong: [string, Partial<VerifyBundleOptions>, RegExp][] = [
    [
      '--owner',
      { owner: 'evil-org' },
      /expected source repository owner https:\/\/github\.com\/evil-org/,
    ],
    [
      '--repo',
      { repo: 'actions/other' },
      /expected source repository https:\/\/github\.com\/actions\/other/,
    ],
    [
      '--signer-workflow',
      { signerWorkflow: 'actions/attest-demo/.github/workflows/release.yml' },
      /expected signer workflow .*release\.yml, but the certificate says/,
    ],
    ['--source-ref', { sourceRef: 'refs/heads/evil' }, /expected source ref refs\/heads\/evil/],
  ];
  for (const [flag, change, pattern] of wrong) {
    void it(`fails with a wrong ${flag}, in one line naming what the certificate says`, async () => {
      assertRejected(
        await run({ ...PRIVATE, ...RIGHT_PRIVATE, ...change }),
        'IDENTITY_MISMATCH',
        pattern,
      );
    });
  }
  void it('takes --signer-workflow as a pattern, anchored at the host (as gh)', async () => {
    assertVerified(
      await run({
        ...PRIVATE,
        owner: 'actions',
        signerWorkflow: 'actions/attest-demo/\\.github/workflows/build-.*\\.yml',
      }),
    );
    assertRejected(
      await run({
        ...PRIVATE,
        owner: 'actions',
        signerWorkflow: 'actions/attest-demo/\\.github/workflows/release-.*',
      }),
      'IDENTITY_MISMATCH',
      /a signer workflow matching/,
    );
    // Host-less patterns mean github.com: the same path on another host does not match.
    assertRejected(
      await run({ ...PRIVATE, owner: 'actions', signerWorkflow: 'ghe\\.example\\.com/actions/.*' }),
      'IDENTITY_MISMATCH',
      /a signer workflow matching/,
    );
  });
  void it('refuses a pattern RE2 cannot compile as a usage error', async () => {
    const outcome = await run({
      ...PRIVATE,
      owner: 'actions',
      signerWorkflow: 'actions/(unclosed',
    });
    assert.equal(outcome.exitCode, 2);
    assert.match(String(outcome.json.reason), /--signer-workflow is not a valid RE2 pattern/);
  });
  void it('prints gh’s verification result beside SATHOS’s fields (--json)', async () => {
    const outcome = await run({ ...PRIVATE, ...RIGHT_PRIVATE });
    assert.equal(outcome.json.verified, true);
    assert.ok(Array.isArray(outcome.json.bundles));
    const [first] = outcome.json.verificationResults as {
      verificationResult: {
        statement: { predicateType: string; subject: { digest: { sha256: string } }[] };
        signature: { certificate: Record<string, string> };
        verifiedTimestamps: { type: string; uri: string; timestamp: string }[];
      };
    }[];
    const result = first?.verificationResult;
    assert.ok(result !== undefined);
    assert.equal(result.statement.predicateType, 'https://slsa.dev/provenance/v1');
    const cert = result.signature.certificate;
    assert.equal(cert.sourceRepositoryURI, 'https://github.com/actions/attest-demo');
    assert.equal(cert.runnerEnvironment, 'github-hosted');
    assert.match(cert.subjectAlternativeName ?? '', /build-python\.yml@refs\/heads\/main$/);
    assert.match(cert.certificateIssuer ?? '', /^CN=Fulcio Intermediate l2,O=GitHub\\, Inc\.$/);
    assert.deepEqual(
      result.verifiedTimestamps.map((t) => t.type),
      ['TimestampAuthority'],
    );
  });
});

void describe('npm provenance (the sigstore-js release) and the root chosen from the issuer', () => {
  void it('verifies on public-good with a Tlog timestamp naming the log', async () => {
    const outcome = await run({
      ...NPM,
      repo: 'sigstore/sigstore-js',
      sourceRef: 'refs/heads/main',
    });
    assertVerified(outcome);
    assert.match(String(outcome.json.trustedRoot), /public-good/);
    const [first] = outcome.json.verificationResults as {
      verificationResult: { verifiedTimestamps: { type: string; uri: string }[] };
    }[];
    const timestamps = first?.verificationResult.verifiedTimestamps ?? [];
    assert.deepEqual(
      timestamps.map((t) => t.type),
      ['Tlog'],
    );
    assert.match(timestamps[0]?.uri ?? '', /^https:\/\/rekor\./);
  });
  void it('a named root still wins: GitHub’s bundle against public-good fails, pointing at the right root', async () => {
    const outcome = await run({
      ...PRIVATE,
      ...RIGHT_PRIVATE,
      trustedRoot: 'embedded:public-good',
    });
    assert.equal(outcome.exitCode, 1);
    assert.match(String(outcome.json.reason), /--trusted-root embedded:github/);
  });
});

void describe('the predicate type defaults to SLSA provenance v1 with GitHub flags (as gh)', () => {
  void it('rejects a conda publish attestation unless its predicate is named', async () => {
    const flags = { ...CONDA, repo: 'prefix-dev/sigstore-example' };
    assertRejected(
      await run(flags),
      'PREDICATE_MISMATCH',
      /expected predicate https:\/\/slsa\.dev\/provenance\/v1/,
    );
    assertVerified(
      await run({
        ...flags,
        predicateType: 'https://schemas.conda.org/attestations-publish-1.schema.json',
      }),
    );
  });
  void it('verifies a PyPI publish attestation (staging instance) by its signer and predicate', async () => {
    const signer = {
      certIdentity: 'william@yossarian.net',
      certOidcIssuer: 'https://github.com/login/oauth',
    };
    assertVerified(
      await run({
        ...PYPI,
        ...signer,
        predicateType: 'https://docs.pypi.org/attestations/publish/v1',
      }),
    );
    assertRejected(
      await run({ ...PYPI, ...signer, predicateType: 'https://slsa.dev/provenance/v1' }),
      'PREDICATE_MISMATCH',
      /got https:\/\/docs\.pypi\.org\/attestations\/publish\/v1/,
    );
  });
  void it('does not default the predicate for --cert-identity alone (cosign semantics)', async () => {
    const outcome = await run({
      ...CONDA,
      certIdentity:
        'https://github.com/prefix-dev/sigstore-example/.github/workflows/action.yaml@refs/heads/main',
      certOidcIssuer: 'https://token.actions.githubusercontent.com',
    });
    assertVerified(outcome);
  });
});
