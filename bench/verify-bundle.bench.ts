// Per-bundle cost of our BundleVerifier.verify (schema, sigstore-js cryptography, identity policy,
// statement parse and subject binding) against @sigstore/verify alone on the same bundle, with
// both verifiers built once, as a chain of many records uses them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import {
  createBundleVerifier,
  digestsOf,
  githubTrust,
  publicGoodTrust,
  type Trust,
} from '@sathos/core';
import { measure, ratio, type BenchRow, type Measurement } from './lib.js';

const TARGET = 1.2;
const ROUNDS = 5;
const OPTIONS = { minIterations: 10, minMillis: 400 };

/** The median of a list of numbers. */
function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Sample {
  readonly name: string;
  readonly bundle: string;
  readonly jsonlLine?: number;
  readonly artifact: string;
  readonly san: string;
  readonly issuer?: string;
  readonly trust: () => Trust;
  readonly rootFile: string;
}

function vectors(): string {
  return process.env.SATHOS_VECTORS ?? resolve(import.meta.dirname, '../test/fixtures/vectors');
}

const SAMPLES: readonly Sample[] = [
  {
    name: 'verify-bundle: DSSE provenance v0.3, public-good (Rekor SET + proof)',
    bundle: 'cli-cli/pkg/cmd/attestation/test/data/reusable-workflow-attestation.sigstore.json',
    artifact: 'cli-cli/pkg/cmd/attestation/test/data/reusable-workflow-artifact',
    san: 'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d',
    issuer: 'https://token.actions.githubusercontent.com',
    trust: publicGoodTrust,
    rootFile: 'root-signing/targets/trusted_root.json',
  },
  {
    name: "verify-bundle: DSSE provenance, GitHub's instance (RFC 3161 timestamp)",
    bundle:
      'cli-cli/pkg/cmd/attestation/test/data/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
    jsonlLine: 0,
    artifact:
      'cli-cli/pkg/cmd/attestation/test/data/github_provenance_demo-0.0.12-py3-none-any.whl',
    san: 'https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
    trust: githubTrust,
    rootFile: 'sigstore-rust/crates/sigstore-trust-root/src/trusted_root_github.json',
  },
];

function bundleJson(dir: string, sample: Sample): unknown {
  const text = readFileSync(join(dir, sample.bundle), 'utf8');
  const line = sample.jsonlLine === undefined ? text : (text.split('\n')[sample.jsonlLine] ?? '');
  return JSON.parse(line);
}

async function benchSample(dir: string, sample: Sample): Promise<BenchRow> {
  const json = bundleJson(dir, sample);
  const digests = digestsOf(readFileSync(join(dir, sample.artifact)));
  const trust = sample.trust();
  const ours = createBundleVerifier(trust);
  const identity = {
    subject: sample.san,
    ...(sample.issuer !== undefined && { issuer: sample.issuer }),
  };
  const expectation = { artifact: { digests }, identity };
  ours.verify(json, expectation); // fails loudly before timing if the sample does not verify

  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(join(dir, sample.rootFile), 'utf8')));
  const { tlog, ctlog, timestamp } = trust.thresholds;
  const plain = new Verifier(toTrustMaterial(root), {
    tlogThreshold: tlog,
    ctlogThreshold: ctlog,
    timestampThreshold: timestamp,
  });
  const policy = {
    subjectAlternativeName: sample.san,
    ...(sample.issuer !== undefined && { extensions: { issuer: sample.issuer } }),
  };
  // Interleaved rounds, so load from other processes falls on both sides alike.
  const yardsticks: Measurement[] = [];
  const ourRuns: Measurement[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    yardsticks.push(
      await measure(() => plain.verify(toSignedEntity(bundleFromJSON(json)), policy), OPTIONS),
    );
    ourRuns.push(await measure(() => ours.verify(json, expectation), OPTIONS));
  }
  // The median of per-round ratios: each pair ran back to back, under the same load.
  const r = medianOf(ourRuns.map((run, i) => ratio(run, yardsticks[i] ?? run)));
  const measured = { medianNs: medianOf(ourRuns.map((m) => m.medianNs)) };
  const yardstick = { medianNs: medianOf(yardsticks.map((m) => m.medianNs)) };
  return {
    name: sample.name,
    value: measured.medianNs / 1000,
    unit: 'µs/bundle',
    yardstick: `@sigstore/verify alone (${(yardstick.medianNs / 1000).toFixed(0)} µs)`,
    ratio: r,
    target: `ratio ≤ ${TARGET}`,
    pass: r <= TARGET,
  };
}

export default async function run(): Promise<BenchRow[]> {
  const dir = vectors();
  const rows: BenchRow[] = [];
  for (const sample of SAMPLES) rows.push(await benchSample(dir, sample));
  return rows;
}
