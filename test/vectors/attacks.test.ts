// Attacks on `verify-bundle` built from real bundles: each must be rejected with the right code,
// and hostile input must end in exit 1 or 2 with a code — never a crash.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  MAX_BUNDLE_FILE_BYTES,
  MAX_JSON_DEPTH,
  appendTransition,
  generateSigningKeyPair,
  isControl,
  keySigner,
  signStatement,
  type ResourceDescriptor,
} from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import { runCli } from '../../packages/cli/src/program.js';
import {
  verifyBundleCommand,
  type VerifyBundleOptions,
} from '../../packages/cli/src/commands/verify-bundle.js';
import { keySignedBundle, statementFor } from './key-signed-bundle.js';
import { vectorsDir } from './vector-cases.js';

const V = vectorsDir();
const scratch = mkdtempSync(join(tmpdir(), 'sathos-attacks-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const GH = join(V, 'cli-cli/pkg/cmd/attestation/test/data');
const PROVENANCE = {
  bundle: join(GH, 'reusable-workflow-attestation.sigstore.json'),
  artifact: join(GH, 'reusable-workflow-artifact'),
  san: 'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d',
  issuer: 'https://token.actions.githubusercontent.com',
};
const CONFORMANCE = join(V, 'sigstore-conformance/test/assets/bundle-verify');
const OTHER_FILE = join(CONFORMANCE, 'a.txt');
const PUBLIC_GOOD_ROOT = join(V, 'root-signing/targets/trusted_root.json');
const GITHUB_ROOT = join(
  V,
  'sigstore-rust/crates/sigstore-trust-root/src/trusted_root_github.json',
);

function file(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const SIGNER_FLAGS = [
  'key',
  'certIdentity',
  'certIdentityRegexp',
  'certOidcIssuer',
  'owner',
  'repo',
  'signerWorkflow',
  'signerRepo',
] as const;

/**
 * These attacks are on other checks than the signer's: where a test names no signer it opts out
 * explicitly, as a user must (signer checks have their own tests in signers.test.ts).
 */
function verify(options: VerifyBundleOptions): ReturnType<typeof verifyBundleCommand> {
  const named = SIGNER_FLAGS.some((flag) => options[flag] !== undefined);
  return verifyBundleCommand(named ? options : { ...options, insecureAnySigner: true });
}

async function expectRejected(
  options: VerifyBundleOptions,
  code: string,
  exitCode = 1,
): Promise<void> {
  const outcome = await verify(options);
  assert.equal(outcome.json.code, code, String(outcome.json.reason));
  assert.equal(outcome.exitCode, exitCode);
  assert.equal(outcome.json.verified, false);
}

void describe('verify-bundle against attacks', () => {
  void describe('when a valid attestation is shown another artifact', () => {
    void it('rejects the other file with SUBJECT_MISMATCH', async () => {
      await expectRejected({ bundle: PROVENANCE.bundle, artifact: OTHER_FILE }, 'SUBJECT_MISMATCH');
    });
    void it('rejects another digest with SUBJECT_MISMATCH', async () => {
      await expectRejected(
        { bundle: PROVENANCE.bundle, digest: `sha256:${'ab'.repeat(32)}` },
        'SUBJECT_MISMATCH',
      );
    });
    void it('rejects a message signature over other bytes with SUBJECT_MISMATCH', async () => {
      const bundle = join(CONFORMANCE, 'happy-path-v0.3/bundle.sigstore.json');
      await expectRejected({ bundle, artifact: PROVENANCE.artifact }, 'SUBJECT_MISMATCH');
    });
    void it('accepts the right artifact', async () => {
      const outcome = await verify({
        bundle: PROVENANCE.bundle,
        artifact: PROVENANCE.artifact,
      });
      assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
    });
  });

  void describe('when the signer is not the expected identity', () => {
    const base = { bundle: PROVENANCE.bundle, artifact: PROVENANCE.artifact };
    void it('rejects another SAN', async () => {
      await expectRejected(
        {
          ...base,
          certIdentity: 'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main',
          certOidcIssuer: PROVENANCE.issuer,
        },
        'IDENTITY_MISMATCH',
      );
    });
    void it('rejects another issuer', async () => {
      await expectRejected(
        { ...base, certIdentity: PROVENANCE.san, certOidcIssuer: 'https://evil.example' },
        'IDENTITY_MISMATCH',
      );
    });
    void it('rejects a pattern that matches only part of the SAN (patterns are anchored)', async () => {
      await expectRejected(
        {
          ...base,
          certIdentityRegexp: 'https://github\\.com/github/',
          certOidcIssuer: PROVENANCE.issuer,
        },
        'IDENTITY_MISMATCH',
      );
    });
    void it('accepts a pattern matching the whole SAN', async () => {
      const outcome = await verify({
        ...base,
        certIdentityRegexp: '^https://github\\.com/github/artifact-attestations-workflows/.*$',
        certOidcIssuer: PROVENANCE.issuer,
      });
      assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
    });
    void it('rejects a keyless bundle when --key alone names the signer (UNTRUSTED_SIGNER)', async () => {
      // Anyone can get a public-good certificate: naming a key must not also trust every one.
      const key = file('only-key.pem', keySignedBundle({}).publicKeyPem);
      await expectRejected({ ...base, key: [key] }, 'UNTRUSTED_SIGNER');
    });
    void it('refuses --key beside a named identity: one signer kind per run (usage error)', async () => {
      // Two kinds at once made the answer depend on which kind the bundle happened to carry.
      const key = file('named-key.pem', keySignedBundle({}).publicKeyPem);
      await expectRejected(
        { ...base, key: [key], certIdentity: PROVENANCE.san, certOidcIssuer: PROVENANCE.issuer },
        'USAGE',
        2,
      );
    });
    void it('refuses a pattern that only parses outside the anchors, as a usage error', async () => {
      // `\Q` quotes to the end, swallowing the closing anchor group the matcher adds.
      await expectRejected({ ...base, certIdentityRegexp: '\\Qhttps://github.com' }, 'USAGE', 2);
    });
    void it('rejects a predicate type it was not asked for', async () => {
      await expectRejected(
        {
          ...base,
          certIdentity: PROVENANCE.san,
          certOidcIssuer: PROVENANCE.issuer,
          predicateType: 'https://slsa.dev/provenance/v0.2',
        },
        'PREDICATE_MISMATCH',
      );
    });
  });

  void describe('when the bundle comes from another Sigstore instance', () => {
    const github = {
      bundle: file(
        'github-instance.json',
        readFileSync(
          join(GH, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'),
          'utf8',
        ).split('\n')[0] ?? '',
      ),
      artifact: join(GH, 'github_provenance_demo-0.0.12-py3-none-any.whl'),
    };
    void it('verifies a GitHub-instance bundle against GitHub’s root (timestamp instead of log)', async () => {
      const outcome = await verify({ ...github, trustedRoot: GITHUB_ROOT });
      assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
    });
    void it('rejects it against the embedded public-good root, when named', async () => {
      const outcome = await verify({ ...github, trustedRoot: 'embedded:public-good' });
      assert.equal(outcome.exitCode, 1);
      assert.match(String(outcome.json.code), /^(TIMESTAMP|CERTIFICATE|TLOG)_INVALID$/);
    });
    void it('rejects a public-good bundle against GitHub’s root', async () => {
      const outcome = await verify({
        bundle: PROVENANCE.bundle,
        artifact: PROVENANCE.artifact,
        trustedRoot: GITHUB_ROOT,
      });
      assert.equal(outcome.exitCode, 1);
    });
  });

  void describe('when the trusted root is flawed', () => {
    const root = JSON.parse(readFileSync(PUBLIC_GOOD_ROOT, 'utf8')) as {
      tlogs: { publicKey: { validFor: { start?: string } } }[];
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const base = { bundle: PROVENANCE.bundle, artifact: PROVENANCE.artifact };
    void it('rejects a log key whose validity has no start', async () => {
      const doctored = structuredClone(root);
      delete doctored.tlogs[0]?.publicKey.validFor.start;
      await expectRejected(
        { ...base, trustedRoot: file('no-start.json', JSON.stringify(doctored)) },
        'TRUST_ROOT_REJECTED',
      );
    });
    void it('rejects a certificate authority whose certificate does not decode', async () => {
      const doctored = structuredClone(root);
      const cert = doctored.certificateAuthorities[1]?.certChain.certificates[0];
      if (cert) cert.rawBytes = 'AAAA';
      await expectRejected(
        { ...base, trustedRoot: file('bad-ca.json', JSON.stringify(doctored)) },
        'TRUST_ROOT_REJECTED',
      );
    });
    void it('refuses a file that is not JSON as unreadable (exit 2)', async () => {
      await expectRejected(
        { ...base, trustedRoot: file('root.txt', 'not json') },
        'TRUST_ROOT_UNREADABLE',
        2,
      );
    });
    void it('refuses JSON that is not a trusted root as unreadable (exit 2)', async () => {
      await expectRejected(
        { ...base, trustedRoot: file('root.json', '{"hello": 1}') },
        'TRUST_ROOT_UNREADABLE',
        2,
      );
    });
  });

  void describe('when the bundle file is hostile', () => {
    const text = readFileSync(PROVENANCE.bundle, 'utf8');
    const reject = async (name: string, content: string | Buffer, code: string): Promise<void> => {
      await expectRejected({ bundle: file(name, content), artifact: PROVENANCE.artifact }, code);
    };
    void it('rejects a truncated bundle', () =>
      reject('truncated.json', text.slice(0, text.length / 2), 'MALFORMED_BUNDLE'));
    void it('rejects an empty file', () => reject('empty.json', '', 'MALFORMED_BUNDLE'));
    void it('rejects random bytes', () =>
      reject('random.json', Buffer.from([0xff, 0x00, 0x7b, 0x22]), 'MALFORMED_BUNDLE'));
    void it('rejects JSON nested too deep', () =>
      reject(
        'deep.json',
        '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1),
        'MALFORMED_BUNDLE',
      ));
    void it('rejects a JSON value that is not a bundle', () =>
      reject('array.json', '[1,2,3]', 'MALFORMED_BUNDLE'));
    void it('rejects an unknown bundle version', () =>
      reject(
        'v9.json',
        text.replace('bundle.v0.3+json', 'bundle.v9.9+json'),
        'UNSUPPORTED_BUNDLE',
      ));
    void it('rejects a tampered DSSE payload', async () => {
      const json = JSON.parse(text) as { dsseEnvelope: { payload: string } };
      const payload = Buffer.from(json.dsseEnvelope.payload, 'base64')
        .toString('utf8')
        .replace('github_provenance', 'evil_provenance');
      json.dsseEnvelope.payload = Buffer.from(payload).toString('base64');
      const outcome = await verify({
        bundle: file('tampered.json', JSON.stringify(json)),
        artifact: PROVENANCE.artifact,
      });
      assert.equal(outcome.exitCode, 1);
      assert.match(String(outcome.json.code), /_INVALID$/);
    });
    void it('rejects an oversized file before parsing it', async () => {
      const big = file('big.json', Buffer.alloc(MAX_BUNDLE_FILE_BYTES + 1, 0x20));
      await expectRejected({ bundle: big, artifact: PROVENANCE.artifact }, 'TOO_LARGE');
    });
    void it('rejects JSON Lines when one line fails, naming the line', async () => {
      const lines = `${JSON.stringify(JSON.parse(text))}\n{"mediaType": "nope"}\n`;
      const outcome = await verify({
        bundle: file('two.jsonl', lines),
        artifact: PROVENANCE.artifact,
      });
      assert.equal(outcome.exitCode, 1);
      assert.match(String(outcome.json.reason), /line 2/);
      assert.equal(outcome.json.bundlesVerified, 1);
    });
    void it('accepts JSON Lines when every line verifies', async () => {
      const line = JSON.stringify(JSON.parse(text));
      const outcome = await verify({
        bundle: file('ok.jsonl', `${line}\n${line}\n`),
        artifact: PROVENANCE.artifact,
      });
      assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
      assert.equal((outcome.json.bundles as unknown[]).length, 2);
    });
  });

  void describe('when the flags are unusable', () => {
    void it('requires the artifact bytes for a message signature (exit 2)', async () => {
      const bundle = join(CONFORMANCE, 'happy-path-v0.3/bundle.sigstore.json');
      const sha = createHash('sha256').update(readFileSync(OTHER_FILE)).digest('hex');
      await expectRejected({ bundle, digest: `sha256:${sha}` }, 'USAGE', 2);
    });
    void it('refuses both --artifact and --digest', async () => {
      await expectRejected(
        {
          bundle: PROVENANCE.bundle,
          artifact: PROVENANCE.artifact,
          digest: `sha256:${'0'.repeat(64)}`,
        },
        'USAGE',
        2,
      );
    });
    void it('refuses a bundle path that does not exist', async () => {
      await expectRejected(
        { bundle: join(scratch, 'missing.json'), artifact: PROVENANCE.artifact },
        'FILE_UNREADABLE',
        2,
      );
    });
  });

  void describe('when a bundle is key-signed without a log (air-gapped)', () => {
    const artifact = file('artifact.bin', 'the artifact');
    const sha = createHash('sha256').update('the artifact').digest('hex');
    const signed = keySignedBundle(statementFor(sha));
    const bundle = file('key-signed.json', JSON.stringify(signed.bundle));
    const key = file('key.pem', signed.publicKeyPem);
    void it('verifies with the key and no trusted root', async () => {
      const outcome = await verify({ bundle, artifact, key: [key] });
      assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
    });
    void it('rejects it without the key', async () => {
      await expectRejected({ bundle, artifact }, 'UNTRUSTED_SIGNER');
    });
    void it('rejects another key, saying the key does not match', async () => {
      const other = file('other.pem', keySignedBundle({}).publicKeyPem);
      const outcome = await verify({ bundle, artifact, key: [other] });
      assert.equal(outcome.json.code, 'UNTRUSTED_SIGNER');
      assert.match(String(outcome.json.reason), /given key does not match the bundle's signature/);
      assert.doesNotMatch(String(outcome.json.reason), /altered|tamper/);
    });
    void it('rejects it when an explicit trusted root demands a log entry', async () => {
      const outcome = await verify({
        bundle,
        artifact,
        key: [key],
        trustedRoot: PUBLIC_GOOD_ROOT,
      });
      assert.equal(outcome.exitCode, 1);
      assert.match(String(outcome.json.code), /^(TLOG|TIMESTAMP)_INVALID$/);
    });
    void it('rejects a key with a validity window when there is no verified time', async () => {
      const der = signed.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
      const keys = {
        keys: [
          {
            keyId: 'demo-key',
            keyUsage: 'npm:attestations',
            publicKey: { rawBytes: der, validFor: { start: '2020-01-01T00:00:00Z' } },
          },
        ],
      };
      await expectRejected(
        { bundle, artifact, key: [file('keys.json', JSON.stringify(keys))] },
        'TIMESTAMP_INVALID',
      );
    });
    void it('rejects the valid bundle padded with thousands of log entries, before comparing them (TOO_LARGE)', async () => {
      // The signature covers the payload only: anyone can append entries. sigstore-js compares
      // every pair of them first, so 4,000 cost 40 s of CPU and an 8 MiB bundle half an hour.
      const padded = structuredClone(signed.bundle) as {
        verificationMaterial: { tlogEntries: unknown[] };
      };
      padded.verificationMaterial.tlogEntries = Array.from({ length: 4000 }, (_, i) => ({
        logIndex: String(i),
        logId: { keyId: 'AAAA' },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: String(1_700_000_000 + i),
        inclusionPromise: { signedEntryTimestamp: 'AAAA' },
        inclusionProof: {
          logIndex: String(i),
          rootHash: 'AAAA',
          treeSize: '4001',
          hashes: [],
          checkpoint: { envelope: 'x' },
        },
        canonicalizedBody: 'AAAA',
      }));
      const outcome = await verify({
        bundle: file('padded.json', JSON.stringify(padded)),
        artifact,
        key: [key],
      });
      assert.equal(outcome.json.code, 'TOO_LARGE', String(outcome.json.reason));
      assert.equal(outcome.exitCode, 1);
      assert.match(String(outcome.json.reason), /4000 transparency-log entries; at most 16/);
    });
    void it('rejects a subject naming the artifact by SHA-1 alone when the bytes are given (SUBJECT_MISMATCH)', async () => {
      // SHA-1 collisions can be made: a statement about one file of a colliding pair, naming it
      // only by SHA-1, would vouch for the other. Holding the bytes, the verifier knows SHA-256.
      const sha1 = createHash('sha1').update('the artifact').digest('hex');
      const bySha1 = keySignedBundle({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'artifact.bin', digest: { sha1 } }],
        predicateType: 'https://example.com/predicate/v1',
        predicate: {},
      });
      const options = {
        bundle: file('sha1-only.json', JSON.stringify(bySha1.bundle)),
        key: [file('sha1-only.pem', bySha1.publicKeyPem)],
      };
      await expectRejected({ ...options, artifact }, 'SUBJECT_MISMATCH');
      // Naming the SHA-1 alone is the caller's own choice (a git commit id, say): that still binds.
      const outcome = await verify({ ...options, digest: `sha1:${sha1}` });
      assert.equal(outcome.exitCode, 0, String(outcome.json.reason));
    });
    void it('rejects a garbage key file (exit 2)', async () => {
      await expectRejected(
        { bundle, artifact, key: [file('bad.pem', 'not a key')] },
        'KEY_UNREADABLE',
        2,
      );
    });
  });

  void describe('when signed records name things with terminal controls', () => {
    // An honest build signs the names it was given; an attacker names the artifact. Printed raw,
    // `\r` and ESC sequences rewrite the verdict on the terminal, and U+202E shows text reversed.
    const hostile = 'app\u001b[2K\r\u001b[32mchain verified\u001b[0m\u202erat.exe\u2028x';
    const keys = generateSigningKeyPair();
    const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
    const commit = 'c0ffee0000000000000000000000000000000002';
    const run = {
      repository: 'demo/app',
      workflowRef: 'demo/app/.github/workflows/release.yml@refs/heads/main',
      runId: '9',
      runAttempt: 1,
      commit,
    };
    const app = file('controls.tar', 'the app');
    const named: ResourceDescriptor = {
      name: hostile,
      digest: { sha256: createHash('sha256').update('the app').digest('hex') },
    };
    const stranger: ResourceDescriptor = { name: hostile, digest: { sha256: 'ab'.repeat(32) } };
    const key = file('controls.pub', keys.publicKeyPem);

    async function chainOf(subjects: readonly (readonly ResourceDescriptor[])[]): Promise<string> {
      const path = file(`controls-${subjects.length}-${String(Math.random()).slice(2)}.jsonl`, '');
      const store = new JsonlFileStore(path);
      const stages = ['source', 'build', 'test', 'scan', 'decision', 'deploy'];
      for (const [i, stage] of stages.entries()) {
        await appendTransition({
          store,
          sign: (statement) => signStatement(statement, signer),
          stage,
          subjects:
            i === 0
              ? [{ name: 'git+demo/app', digest: { gitCommit: commit } }]
              : (subjects[i - 1] ?? []),
          run,
          actor: { kind: 'key', keyId: signer.keyId },
          terminal: stage === 'deploy',
        });
      }
      return path;
    }

    async function human(args: readonly string[]): Promise<{ code: number; text: string }> {
      let text = '';
      const write = (t: string): void => {
        text += t;
      };
      const code = await runCli(args, { out: write, err: write });
      return { code, text };
    }

    /** The code units of `text` that isControl flags, line ends apart. */
    function controls(text: string): number[] {
      const found: number[] = [];
      for (let i = 0; i < text.length; i += 1) {
        const code = text.charCodeAt(i);
        if (code !== 10 && isControl(code)) found.push(code);
      }
      return found;
    }

    void it('prints a verified chain with every control shown escaped', async () => {
      const chain = await chainOf(Array.from({ length: 5 }, () => [named]));
      const { code, text } = await human(['verify-chain', chain, '--artifact', app, '--key', key]);
      assert.equal(code, 0, text);
      assert.deepEqual(controls(text), []);
      assert.match(text, /app\\u001b\[2K\\u000d.*\\u202erat\.exe\\u2028x/);
    });
    void it('prints a rejection naming such a subject as one escaped line', async () => {
      const chain = await chainOf([[named], [stranger], [named], [named], [named]]);
      const { code, text } = await human(['verify-chain', chain, '--artifact', app, '--key', key]);
      assert.equal(code, 1, text);
      assert.equal(text.split('\n').length, 2, text);
      assert.deepEqual(controls(text), []);
      assert.match(text, /SUBJECT_DISCONTINUITY|names app\\u001b/);
    });
  });
});
