// Chain verification must cost the same per record however long the chain: verifyChain over
// key-signed chains of 10, 100 and 1000 records, per record, against the 10-record chain; and what
// the chain logic adds to the bundle verification underneath it. At the spec's limits, each in a
// child process for its peak memory: 10,000 records, and 300 records of 1,024 subjects (time and
// memory per record against the 10-record chain verified as often, to the same record count); and an
// artifact past 2 GiB hashed as a stream.
import {
  buildTransitionStatement,
  createBundleVerifier,
  decodeDssePayload,
  generateSigningKeyPair,
  keySigner,
  linkRef,
  parsePublicKeys,
  publicGoodTrust,
  sha256Hex,
  signStatement,
  verifyChain,
  type ArtifactInput,
  type BundleVerifier,
  type ChainLine,
  type ChainRequirements,
  type KeyStatementSigner,
  type NextLink,
  type RunBinding,
} from '@sathos/core';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { child, scaleRows } from './chain-scale.js';
import { measure, ratio, type BenchRow, type Measurement } from './lib.js';

const SIZES = [10, 100, 1000] as const;
const FLAT_TARGET = 1.5;
const OVERHEAD_TARGET = 1.5;
const OPTIONS = { minIterations: 5, minMillis: 300 };
/** Each measurement is repeated, interleaved with the others, and the median round kept. */
const ROUNDS = 3;

const RUN: RunBinding = {
  repository: 'bench/hello-sathos',
  workflowRef: 'bench/hello-sathos/.github/workflows/release.yml@refs/heads/main',
  runId: '1',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};
const ARTIFACT_SHA256 = sha256Hex('the bench artifact');
const ARTIFACTS: readonly ArtifactInput[] = [
  { name: 'app.tar', digests: [{ algorithm: 'sha256', hex: ARTIFACT_SHA256 }] },
];

/** source → build → test × (n − 3) → deploy: every stage a required one, every link checked. */
function stageAt(index: number, n: number): string {
  if (index === 0) return 'source';
  if (index === 1) return 'build';
  return index === n - 1 ? 'deploy' : 'test';
}

function requirements(signer: KeyStatementSigner): ChainRequirements {
  const stages = ['source', 'build', 'test', 'deploy'];
  return {
    stages,
    identities: Object.fromEntries(stages.map((s) => [s, [{ keyId: signer.keyId }]])),
  };
}

/** Signs a valid linear chain of n records, each linked to the one before (built once). */
async function signedChain(n: number, signer: KeyStatementSigner): Promise<ChainLine[]> {
  const lines: ChainLine[] = [];
  let link: NextLink = { sequence: 0, previous: [] };
  let genesis: string | undefined;
  for (let index = 0; index < n; index++) {
    const stage = stageAt(index, n);
    const statement = buildTransitionStatement({
      stage,
      subjects: [
        index === 0
          ? { digest: { gitCommit: RUN.commit } }
          : { name: 'app.tar', digest: { sha256: ARTIFACT_SHA256 } },
      ],
      run: RUN,
      link,
      actor: { kind: 'key', keyId: signer.keyId },
      terminal: stage === 'deploy',
    });
    const bundle = await signStatement(statement, signer);
    const { digest } = decodeDssePayload(bundle, `record ${index}`);
    genesis ??= digest;
    lines.push({ line: index + 1, bundle });
    link = { sequence: index + 1, genesis: { sha256: genesis }, previous: [linkRef(digest)] };
  }
  return lines;
}

function perRecord(m: Measurement, n: number): Measurement {
  return { medianNs: m.medianNs / n, meanNs: m.meanNs / n, iterations: m.iterations };
}

function medianRound(rounds: readonly Measurement[]): Measurement {
  const sorted = [...rounds].sort((a, b) => a.medianNs - b.medianNs);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no measurement rounds');
  return middle;
}

const micros = (m: Measurement): number => Math.round(m.medianNs / 10) / 100;

function checkedChain(
  lines: readonly ChainLine[],
  checker: BundleVerifier,
  req: ChainRequirements,
): () => unknown {
  const check = verifyChain({ lines, checker, requirements: req, artifacts: ARTIFACTS });
  if (check.records.length !== lines.length || !check.complete) {
    throw new Error(`chain of ${lines.length} records did not verify whole`);
  }
  return () => verifyChain({ lines, checker, requirements: req, artifacts: ARTIFACTS });
}

/** A sparse file past 2 GiB (a Buffer's limit), hashed as verify-chain --artifact hashes it. */
const SPARSE_BYTES = 2200 * 1024 * 1024;
const SPARSE_EXTRA_TARGET_MIB = 64;

async function sparseHashRow(): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'sathos-bench-sparse-'));
  try {
    const path = join(dir, 'big.bin');
    await promisify(execFile)('truncate', ['-s', String(SPARSE_BYTES), path]);
    const idle = await child(['idle']);
    const hashed = await child(['hash', path]);
    const extraMiB = (hashed.maxRssKiB - idle.maxRssKiB) / 1024;
    return {
      name: `artifact hashing: ${SPARSE_BYTES / 1024 / 1024} MiB sparse file, four digests streamed (${Math.round(hashed.ms / 100) / 10} s)`,
      value: Math.round(extraMiB * 10) / 10,
      unit: 'MiB above idle',
      yardstick: `an idle child process, ${Math.round(idle.maxRssKiB / 1024)} MiB`,
      ratio: hashed.maxRssKiB / idle.maxRssKiB,
      target: `< ${SPARSE_EXTRA_TARGET_MIB} MiB above idle`,
      pass: extraMiB < SPARSE_EXTRA_TARGET_MIB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<BenchRow[]> {
  const keys = generateSigningKeyPair();
  const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
  const checker = createBundleVerifier(publicGoodTrust(), {
    keys: parsePublicKeys(keys.publicKeyPem, 'bench.pub'),
    allowUnloggedKeySignatures: true,
  });
  const req = requirements(signer);
  const chains = new Map<number, ChainLine[]>();
  for (const n of SIZES) chains.set(n, await signedChain(n, signer));

  const largest = SIZES[SIZES.length - 1] ?? SIZES[0];
  const largestLines = chains.get(largest) ?? [];
  // What each chain costs, and the yardstick for what the chain logic adds: the bundle verifier
  // alone on the bundles of the largest chain.
  const subjects = new Map<string, { fn: () => unknown; n: number }>();
  for (const n of SIZES) {
    subjects.set(`${n}`, { fn: checkedChain(chains.get(n) ?? [], checker, req), n });
  }
  subjects.set('bundles', {
    fn: () => {
      for (const { bundle } of largestLines) checker.verify(bundle);
    },
    n: largestLines.length,
  });
  const rounds = new Map<string, Measurement[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, { fn, n }] of subjects) {
      const list = rounds.get(key) ?? [];
      list.push(perRecord(await measure(fn, OPTIONS), n));
      rounds.set(key, list);
    }
  }
  const result = (key: string): Measurement => medianRound(rounds.get(key) ?? []);
  const base = result(`${SIZES[0]}`);

  const rows: BenchRow[] = SIZES.map((n) => {
    const m = result(`${n}`);
    const r = ratio(m, base);
    return {
      name: `verify-chain: ${n} key-signed records, per record`,
      value: micros(m),
      unit: 'µs/record',
      yardstick: `verify-chain per record at ${SIZES[0]} records`,
      ratio: r,
      target: `< ${FLAT_TARGET}×`,
      pass: r < FLAT_TARGET,
    };
  });

  const bundlesOnly = result('bundles');
  const chain = result(`${largest}`);
  const overhead = ratio(chain, bundlesOnly);
  rows.push({
    name: `verify-chain: ${largest} records vs their bundles alone, per record`,
    value: micros(chain),
    unit: 'µs/record',
    yardstick: `BundleVerifier.verify alone, ${micros(bundlesOnly)} µs/bundle`,
    ratio: overhead,
    target: `< ${OVERHEAD_TARGET}×`,
    pass: overhead < OVERHEAD_TARGET,
  });
  rows.push(
    ...(await scaleRows({ label: 'verify-chain', sizes: [1000, 10_000], subjects: 1 })),
    ...(await scaleRows({ label: 'verify-chain', sizes: [100, 300], subjects: 1024 })),
    await sparseHashRow(),
  );
  return rows;
}
