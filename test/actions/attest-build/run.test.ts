// attest-build run in-process against the stand-ins: keyless provenance that plain sigstore-js
// verifies and that matches GitHub's shape, the public/private instance choice, uploads through
// 502s, a 403 that leaves the chain as it was, and the preflight of `id-token: write`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAttestInputs } from '@sathos/github';
import { generateSigningKeyPair } from '@sathos/core';
import { verifyWithSigstoreJs } from '@sathos/testkit';
import { run } from '../../../actions/attest-build/src/main.js';
import {
  AttestFixture,
  ISSUER,
  READ_ONLY_TOKEN,
  REPOSITORY,
  SAN,
  SHA,
  chainBundles,
  sha256,
  statementOf,
} from './fixture.js';

const PROVENANCE = 'https://slsa.dev/provenance/v1';

/** The key hint a key-signed bundle names its key by. */
const publicKeyHint = (bundle: unknown): string =>
  (bundle as { verificationMaterial: { publicKey: { hint: string } } }).verificationMaterial
    .publicKey.hint;

void describe('attest-build', () => {
  let fx: AttestFixture;
  before(async () => {
    fx = await AttestFixture.start();
  });
  after(async () => {
    await fx.dispose();
  });

  const attest = async (env: Record<string, string>) => {
    const runtime = fx.runtime(env);
    await run(readAttestInputs(env, { stage: 'build' }), runtime);
    return runtime.io;
  };

  void describe('in a public repository', () => {
    void it('signs GitHub-shaped provenance and the build record that sigstore-js verifies, and uploads both', async () => {
      await fx.startChain('public');
      const uploadsBefore = fx.github.attestations.length;
      const io = await attest({ ...fx.env('public'), ...fx.inputs('public', 'public') });
      assert.deepEqual(io.failures, []);
      const bundles = chainBundles(fx.chainPath('public'));
      assert.equal(bundles.length, 3, 'the source record, the provenance, the build record');
      for (const bundle of bundles) {
        verifyWithSigstoreJs(bundle, {
          trustedRoot: fx.sigstore.trustedRoot,
          subjectAlternativeName: SAN,
          issuer: ISSUER,
        });
        const tlog = (bundle as { verificationMaterial: { tlogEntries: unknown[] } })
          .verificationMaterial.tlogEntries;
        assert.equal(tlog.length, 1, 'public-good: the signature is in the transparency log');
      }
      const provenance = statementOf(bundles[1]);
      assert.equal(provenance.predicateType, PROVENANCE);
      // Subjects keep their workspace-relative paths: two app.tar stay two subjects.
      assert.deepEqual(provenance.subject, [
        { name: 'dist/a/app.tar', digest: { sha256: sha256('package a\n') } },
        { name: 'dist/b/app.tar', digest: { sha256: sha256('package b\n') } },
      ]);
      assert.deepEqual(provenance.predicate, {
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: {
              ref: 'refs/heads/main',
              repository: `https://github.com/${REPOSITORY}`,
              path: '.github/workflows/release.yml',
            },
          },
          internalParameters: {
            github: {
              event_name: 'push',
              repository_id: '123456',
              repository_owner_id: '654321',
              runner_environment: 'github-hosted',
            },
          },
          resolvedDependencies: [
            {
              uri: `git+https://github.com/${REPOSITORY}@refs/heads/main`,
              digest: { gitCommit: SHA },
            },
          ],
        },
        runDetails: {
          builder: { id: SAN },
          metadata: {
            invocationId: `https://github.com/${REPOSITORY}/actions/runs/4242/attempts/1`,
          },
        },
      });
      const record = statementOf(bundles[2]);
      assert.equal(record.predicateType, 'https://sathos.dev/attestation/transition/v1');
      assert.equal((record.predicate as { stage: string }).stage, 'build');
      assert.equal(fx.github.attestations.length, uploadsBefore + 2);
      const uploaded = fx.github.attestations.at(-2);
      assert.equal(io.outputs.get('attestation-id'), String(uploaded?.id));
      assert.equal(
        io.outputs.get('attestation-url'),
        `https://github.com/${REPOSITORY}/attestations/${uploaded?.id}`,
      );
      assert.equal(io.outputs.get('chain'), fx.chainPath('public'));
      assert.match(io.outputs.get('record-digest') ?? '', /^sha256:[0-9a-f]{64}$/);
      const bundlePath = io.outputs.get('bundle-path') ?? '';
      assert.equal(readFileSync(bundlePath, 'utf8').trim().split('\n').length, 2);
      const [subjects, chain] = io.summaries;
      assert.deepEqual(
        subjects?.table?.rows.map((r) => r[0]),
        ['dist/a/app.tar', 'dist/b/app.tar'],
      );
      assert.deepEqual(
        chain?.table?.rows.map((r) => r[1]),
        ['source', 'build'],
      );
    });
  });

  void describe('in a private repository', () => {
    void it("signs with GitHub's instance: a timestamp, no transparency-log entry", async () => {
      await fx.startChain('private', 'private');
      const rekorBefore = fx.sigstore.requests.rekor;
      const io = await attest({ ...fx.env('private'), ...fx.inputs('private', 'private') });
      assert.deepEqual(io.failures, []);
      assert.equal(fx.sigstore.requests.rekor, rekorBefore, 'nothing was sent to the log');
      for (const bundle of chainBundles(fx.chainPath('private'))) {
        const material = (
          bundle as {
            verificationMaterial: {
              tlogEntries?: unknown[];
              timestampVerificationData: { rfc3161Timestamps: unknown[] };
            };
          }
        ).verificationMaterial;
        assert.deepEqual(material.tlogEntries ?? [], []);
        assert.equal(material.timestampVerificationData.rfc3161Timestamps.length, 1);
        verifyWithSigstoreJs(bundle, {
          trustedRoot: { ...fx.sigstore.trustedRoot, tlogs: [] },
          thresholds: { tlogThreshold: 0, timestampThreshold: 1 },
          subjectAlternativeName: SAN,
        });
      }
    });

    void it('refuses a Rekor URL rather than publish the private repository in the log', async () => {
      await fx.startChain('private-rekor', 'private');
      const before = fx.chainBytes('private-rekor');
      const io = await attest({
        ...fx.env('private'),
        ...fx.inputs('private-rekor', 'private', { 'INPUT_REKOR-URL': fx.sigstore.rekorURL }),
      });
      assert.match(io.failures[0] ?? '', /never written to a transparency log/);
      assert.deepEqual(fx.chainBytes('private-rekor'), before);
    });
  });

  void describe('signing with a key (air-gapped or self-hosted)', () => {
    void it("records the local build type, since no certificate vouches for the job's claims", async () => {
      const key = generateSigningKeyPair();
      await fx.startChain('key', 'public', undefined, key.privateKeyPem);
      const io = await attest({
        ...fx.env('public', {
          ACTIONS_ID_TOKEN_REQUEST_URL: '',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: '',
        }),
        ...fx.inputs('key', 'public', {
          INPUT_SIGNING: 'key',
          'INPUT_SIGNING-KEY': key.privateKeyPem,
          'INPUT_GITHUB-TOKEN': '',
        }),
      });
      assert.deepEqual(io.failures, []);
      const bundles = chainBundles(fx.chainPath('key'));
      assert.equal(bundles.length, 3);
      const provenance = statementOf(bundles[1]).predicate as {
        buildDefinition: { buildType: string };
        runDetails: { builder: { id: string } };
      };
      assert.equal(provenance.buildDefinition.buildType, 'https://sathos.dev/buildtypes/local/v1');
      for (const bundle of bundles) {
        verifyWithSigstoreJs(bundle, {
          publicKeys: { [publicKeyHint(bundle)]: key.publicKeyPem },
          thresholds: { tlogThreshold: 0, timestampThreshold: 0, ctlogThreshold: 0 },
        });
      }
    });
  });

  void describe('with more subjects than one record holds', () => {
    void it('records consecutive build records, each with the provenance of its own part', async () => {
      await fx.startChain('many');
      const checksums = join(fx.work, 'checksums.txt');
      const lines = Array.from(
        { length: 1100 },
        (_, i) => `${sha256(String(i))}  dist/file-${String(i).padStart(4, '0')}.bin`,
      );
      writeFileSync(checksums, `${lines.join('\n')}\n`);
      const io = await attest({
        ...fx.env('public'),
        ...fx.inputs('many', 'public', {
          'INPUT_SUBJECT-PATH': '',
          'INPUT_SUBJECT-CHECKSUMS': checksums,
        }),
      });
      assert.deepEqual(io.failures, []);
      const statements = chainBundles(fx.chainPath('many')).map(statementOf);
      assert.deepEqual(
        statements.map((s) => s.predicateType.split('/').at(-2)),
        ['transition', 'provenance', 'transition', 'provenance', 'transition'],
      );
      const [, first, firstRecord, second, secondRecord] = statements;
      assert.deepEqual(first?.subject, firstRecord?.subject);
      assert.deepEqual(second?.subject, secondRecord?.subject);
      assert.equal((first?.subject.length ?? 0) + (second?.subject.length ?? 0), 1100);
      assert.match(io.summaries[0]?.heading ?? '', /1100 subject\(s\) attested/);
    });
  });

  void describe('when the attestations API is busy', () => {
    void it('retries through two 502s, then stores and appends', async () => {
      await fx.startChain('retry');
      fx.github.failNext({ status: 502 }, { status: 502 });
      const io = await attest({ ...fx.env('public'), ...fx.inputs('retry', 'public') });
      assert.deepEqual(io.failures, []);
      assert.equal(chainBundles(fx.chainPath('retry')).length, 3);
    });
  });

  void describe('when the token may not write attestations (403)', () => {
    void it('fails naming `attestations: write` and leaves the chain byte for byte as it was', async () => {
      await fx.startChain('forbidden');
      const before = fx.chainBytes('forbidden');
      const io = await attest({
        ...fx.env('public'),
        ...fx.inputs('forbidden', 'public', { 'INPUT_GITHUB-TOKEN': READ_ONLY_TOKEN }),
      });
      assert.equal(io.failures.length, 1);
      assert.match(io.failures[0] ?? '', /attestations: write/);
      assert.match(io.failures[0] ?? '', /the chain file is unchanged/);
      assert.deepEqual(fx.chainBytes('forbidden'), before);
    });
  });

  void describe('when signing fails (the transparency log is unreachable)', () => {
    void it('appends nothing and uploads nothing: the chain file is byte for byte as it was', async () => {
      await fx.startChain('log-down');
      const before = fx.chainBytes('log-down');
      const uploads = fx.github.attestations.length;
      const io = await attest({
        ...fx.env('public'),
        ...fx.inputs('log-down', 'public', { 'INPUT_REKOR-URL': 'http://127.0.0.1:9' }),
      });
      assert.equal(io.failures.length, 1);
      assert.match(io.failures[0] ?? '', /^SIGNING_FAILED: /);
      assert.deepEqual(fx.chainBytes('log-down'), before);
      assert.equal(fx.github.attestations.length, uploads);
    });
  });

  void describe('when the job lacks `id-token: write`', () => {
    void it('fails before any work, naming the permissions line', async () => {
      const env = fx.env('public', {
        ACTIONS_ID_TOKEN_REQUEST_URL: '',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: '',
      });
      const io = await attest({ ...env, ...fx.inputs('no-id-token', 'public') });
      assert.match(io.failures[0] ?? '', /permissions: id-token: write/);
      assert.equal(existsSync(fx.chainPath('no-id-token')), false);
    });
  });

  void describe("when the job's token is of another run than the runner's variables say", () => {
    void it('signs nothing: provenance is built only from the claims of this run', async () => {
      await fx.startChain('foreign-token');
      const before = fx.chainBytes('foreign-token');
      const env = fx.env('public', { GITHUB_RUN_ID: '9999' });
      const io = await attest({ ...env, ...fx.inputs('foreign-token', 'public') });
      assert.match(io.failures[0] ?? '', /IDENTITY_MISMATCH: .*run_id is 4242, the run's is 9999/);
      assert.deepEqual(fx.chainBytes('foreign-token'), before);
    });
  });

  void describe('with no trusted-root input', () => {
    void it('judges each record by the embedded root of its issuer, so stand-in records are refused', async () => {
      await fx.startChain('embedded-roots');
      const before = fx.chainBytes('embedded-roots');
      const env = { ...fx.env('public'), ...fx.inputs('embedded-roots', 'public') };
      delete (env as Record<string, string>)['INPUT_TRUSTED-ROOT'];
      const io = await attest(env);
      assert.equal(io.failures.length, 1);
      assert.match(io.failures[0] ?? '', /chain\.jsonl line 1: /);
      assert.deepEqual(fx.chainBytes('embedded-roots'), before);
    });
  });

  void describe('handed an empty chain', () => {
    void it('refuses to start a chain: the source record must come first', async () => {
      const io = await attest({ ...fx.env('public'), ...fx.inputs('empty', 'public') });
      assert.match(io.failures[0] ?? '', /start it with actions\/verify-commit-signature/);
      assert.equal(existsSync(fx.chainPath('empty')), false);
    });
  });
});
