// Real attestations `verify-bundle` must accept (PyPI publish attestations, whose predicate is
// null), and real bundles altered so one check fails: the message must name that check.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  verifyBundleCommand,
  type VerifyBundleOptions,
} from '../../packages/cli/src/commands/verify-bundle.js';
import { vectorsDir } from './vector-cases.js';

const V = vectorsDir();
const PYPI = resolve(import.meta.dirname, '../fixtures/pypi');
const scratch = mkdtempSync(join(tmpdir(), 'sathos-messages-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const GH = join(V, 'cli-cli/pkg/cmd/attestation/test/data');
const STAGING_ROOT = join(
  V,
  'sigstore-rust/crates/sigstore-trust-root/src/trusted_root_staging.json',
);
const ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
const PUBLIC_GOOD = {
  bundle: join(GH, 'reusable-workflow-attestation.sigstore.json'),
  artifact: join(GH, 'reusable-workflow-artifact'),
  certIdentity:
    'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d',
  certOidcIssuer: ACTIONS_ISSUER,
};
const GITHUB_INSTANCE = {
  bundle: join(GH, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'),
  artifact: join(GH, 'github_provenance_demo-0.0.12-py3-none-any.whl'),
  certIdentity:
    'https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main',
  certOidcIssuer: ACTIONS_ISSUER,
};

/** The parts of a bundle these tests alter. */
interface BundleJson {
  verificationMaterial: {
    tlogEntries: { integratedTime: string }[];
    timestampVerificationData: { rfc3161Timestamps: unknown[] };
  };
}

/** A PyPI attestation object (PEP 740). */
interface PypiAttestation {
  verification_material: { certificate: string; transparency_entries: unknown[] };
  envelope: { statement: string; signature: string };
}

/** A JSON file's document, or a JSON Lines file's first one. */
function readJson(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return JSON.parse(path.endsWith('.jsonl') ? (text.split('\n')[0] ?? '') : text);
}

function write(name: string, json: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

async function reason(options: VerifyBundleOptions, code: string): Promise<string> {
  const outcome = await verifyBundleCommand(options);
  assert.equal(outcome.json.code, code, String(outcome.json.reason));
  assert.equal(outcome.exitCode, 1);
  return String(outcome.json.reason);
}

/** A PyPI attestation object (PEP 740) re-wrapped, field for field, as the Sigstore bundle it is. */
function bundleFromPypiAttestation(path: string): unknown {
  const a = readJson(path) as PypiAttestation;
  return {
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
  };
}

void describe('PyPI publish attestations ("predicate": null)', () => {
  void it('verifies the real bundle of rfc8785 0.1.2 (Sigstore staging)', async () => {
    const outcome = await verifyBundleCommand({
      bundle: join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl.sigstore'),
      artifact: join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl'),
      trustedRoot: STAGING_ROOT,
      certIdentity: 'william@yossarian.net',
      certOidcIssuer: 'https://github.com/login/oauth',
      predicateType: 'https://docs.pypi.org/attestations/publish/v1',
    });
    assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
  });

  void it('verifies a GitLab trusted-publishing attestation (public-good)', async () => {
    const bundle = bundleFromPypiAttestation(
      join(PYPI, 'gitlab_oidc_project-0.0.3.tar.gz.publish.attestation'),
    );
    const outcome = await verifyBundleCommand({
      bundle: write('gitlab.json', bundle),
      artifact: join(PYPI, 'gitlab_oidc_project-0.0.3.tar.gz'),
      certIdentity:
        'https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main',
      certOidcIssuer: 'https://gitlab.com',
      predicateType: 'https://docs.pypi.org/attestations/publish/v1',
    });
    assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
  });

  void it('still binds the attestation to its artifact', async () => {
    await reason(
      {
        bundle: join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl.sigstore'),
        artifact: join(PYPI, 'gitlab_oidc_project-0.0.3.tar.gz'),
        trustedRoot: STAGING_ROOT,
        certIdentity: 'william@yossarian.net',
        certOidcIssuer: 'https://github.com/login/oauth',
      },
      'SUBJECT_MISMATCH',
    );
  });
});

void describe('failure messages name what failed', () => {
  void it('an altered integrated time is a bad Rekor SET, not a certificate-chain error', async () => {
    const bundle = readJson(PUBLIC_GOOD.bundle) as BundleJson;
    const entry = bundle.verificationMaterial.tlogEntries[0];
    assert.ok(entry);
    entry.integratedTime = String(Number(entry.integratedTime) + 3600);
    const text = await reason(
      { ...PUBLIC_GOOD, bundle: write('late-set.json', bundle) },
      'TLOG_INVALID',
    );
    assert.match(text, /signed entry timestamp \(Rekor SET\) does not verify/);
    assert.doesNotMatch(text, /certificate/);
  });

  void it('of several timestamps, names the one that failed and why', async () => {
    const bundle = readJson(GITHUB_INSTANCE.bundle) as BundleJson;
    const foreign = readJson(
      join(
        V,
        'sigstore-rust/crates/sigstore-verify/test_data/bundles/github-private-attestation.sigstore.json',
      ),
    ) as BundleJson;
    const stamps = bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
    stamps.push(foreign.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]);
    const text = await reason(
      {
        ...GITHUB_INSTANCE,
        bundle: write('two-stamps.json', bundle),
        trustedRoot: 'embedded:github',
      },
      'TIMESTAMP_INVALID',
    );
    assert.match(
      text,
      /timestamp 2 of 2 \(RFC 3161, stating 20\d\d-[^)]*\) could not be verified: \S/,
    );
    assert.doesNotMatch(text, /timestamp 1 of 2/);
  });

  void it('a timestamp from an authority the root does not hold says so', async () => {
    const bundle = readJson(GITHUB_INSTANCE.bundle) as BundleJson;
    const publicGood = readJson(
      join(
        V,
        'sigstore-js/extracted/packages/verify/src/__tests__/__fixtures__/bundles.ts/V3.DSSE.WITH_SIGNING_CERT.TLOG_DSSEV002.json',
      ),
    ) as BundleJson;
    bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps.unshift(
      publicGood.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0],
    );
    const text = await reason(
      {
        ...GITHUB_INSTANCE,
        bundle: write('pg-stamp.json', bundle),
        trustedRoot: 'embedded:github',
      },
      'TIMESTAMP_INVALID',
    );
    assert.match(text, /timestamp 1 of 2 .*no timestamp authority in the trusted root issued it/);
  });

  void it("a GitHub-instance bundle under the public-good root suggests GitHub's root", async () => {
    const outcome = await verifyBundleCommand({
      ...GITHUB_INSTANCE,
      trustedRoot: 'embedded:public-good',
    });
    assert.equal(outcome.exitCode, 1);
    assert.match(String(outcome.json.reason), /--trusted-root embedded:github/);
    const right = await verifyBundleCommand({ ...GITHUB_INSTANCE, trustedRoot: 'embedded:github' });
    assert.equal(right.exitCode, 0, String(right.json.reason));
  });

  void it('a public-good bundle that fails its chain gets no GitHub hint', async () => {
    const outcome = await verifyBundleCommand({ ...PUBLIC_GOOD, trustedRoot: 'embedded:github' });
    assert.equal(outcome.exitCode, 1);
    assert.doesNotMatch(String(outcome.json.reason), /embedded:github/);
  });
});
