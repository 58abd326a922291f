// sathos attest at scale, each measurement in a child process (bench/attest-child.ts) so its peak
// memory is its own:
// - hashing 1 GiB (8 files of 128 MiB) as `--subject-path` hashes, against `sha256sum` on the same
//   files in the same run, page cache warm for both (target: at least 0.9× its speed);
// - a build step of 10, 1,000 and 100,000 small files (resolved, hashed, split into parts, each
//   part decided under a policy, signed and appended): time per subject against the 1,000-file
//   step (linear: ratio ≤ 1.5), and the 100,000-file step's peak memory against 1 GiB.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createBundleVerifier,
  generateSigningKeyPair,
  keySigner,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  recordStep,
  signStatement,
} from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import type { AttestChildResult } from './attest-child.js';
import { median, type BenchRow } from './lib.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./attest-child.ts', import.meta.url));
const MIB = 1024 * 1024;
const HASH_FILES = 8;
const HASH_FILE_MIB = 128;
const ROUNDS = 3;
const SIZES = [10, 1000, 100_000] as const;
const HASH_TARGET = 0.9;
const LINEAR_TARGET = 1.5;
const MEMORY_BUDGET_MIB = 1024;

async function child(args: readonly string[]): Promise<AttestChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    maxBuffer: MIB,
  });
  return JSON.parse(stdout) as AttestChildResult;
}

/** Files of incompressible bytes (a random block repeated at shifting offsets). */
async function bigFiles(dir: string): Promise<string[]> {
  const block = randomBytes(MIB + 4096);
  const files: string[] = [];
  for (let f = 0; f < HASH_FILES; f++) {
    const path = join(dir, `blob-${f}.bin`);
    const handle = await open(path, 'w');
    for (let m = 0; m < HASH_FILE_MIB; m++) {
      const offset = (f * 131 + m * 17) % 4096;
      await handle.write(block.subarray(offset, offset + MIB));
    }
    await handle.close();
    files.push(path);
  }
  return files;
}

async function sha256sumMs(files: readonly string[]): Promise<number> {
  const start = performance.now();
  await run('sha256sum', [...files], { maxBuffer: MIB });
  return performance.now() - start;
}

async function hashRow(dir: string): Promise<BenchRow> {
  const files = await bigFiles(dir);
  await sha256sumMs(files); // the page cache warm for both
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push((await child(['hash', ...files])).ms);
    theirs.push(await sha256sumMs(files));
  }
  const mib = HASH_FILES * HASH_FILE_MIB;
  const speed = mib / (median(ours) / 1000);
  const yardstick = mib / (median(theirs) / 1000);
  const ratio = speed / yardstick;
  return {
    name: `attest: hashing ${mib / 1024} GiB (${HASH_FILES} files), speed`,
    value: Math.round(speed),
    unit: 'MiB/s',
    yardstick: `sha256sum on the same files (${Math.round(yardstick)} MiB/s)`,
    ratio,
    target: `ratio ≥ ${HASH_TARGET}`,
    pass: ratio >= HASH_TARGET,
  };
}

const POLICY = (keyId: string): string =>
  [
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    'stages: [source, build]',
    'identities:',
    `  source: [{ keyId: "${keyId}" }]`,
    `  build: [{ keyId: "${keyId}" }]`,
    'rules:',
    '  - id: no-core-dumps',
    '    stage: build',
    '    expression: "!subjects.exists(s, s.name.endsWith(\'.core\'))"',
    '    message: no core dump is shipped',
  ].join('\n');

/** A workspace with `n` small files under d<n>/, spread over directories of 1,000. */
async function smallFiles(root: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const dir = join(root, `d${n}`, `p${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.bin`), `file ${i} of ${n}`);
  }
}

/** A chain file holding one key-signed source record. */
async function sourceChain(
  path: string,
  pem: string,
  policyPath: string,
  text: string,
): Promise<void> {
  const signer = keySigner({ privateKeyPem: pem });
  await recordStep(
    {
      stage: 'source',
      subjects: [{ name: 'git+bench/attest', digest: { gitCommit: 'c'.repeat(40) } }],
      run: {
        repository: 'bench/attest',
        workflowRef: 'bench/attest/.github/workflows/ci.yml@refs/heads/main',
        runId: '1',
        runAttempt: 1,
        commit: 'c'.repeat(40),
      },
      policy: parsePolicy(text, policyPath),
    },
    {
      store: new JsonlFileStore(path),
      signer: {
        sign: (statement) => signStatement(statement, signer),
        actor: { kind: 'key', keyId: signer.keyId },
      },
      trust: { checker: createBundleVerifier(publicGoodTrust()) },
    },
  );
}

async function attestRows(dir: string): Promise<BenchRow[]> {
  const pair = generateSigningKeyPair();
  const keyId = parsePublicKeys(pair.publicKeyPem, 'k')[0]?.keyId ?? '';
  const key = join(dir, 'key.pem');
  const policy = join(dir, 'policy.yaml');
  await writeFile(key, pair.privateKeyPem);
  await writeFile(policy, POLICY(keyId));
  const ws = join(dir, 'ws');
  const measured = new Map<number, AttestChildResult>();
  for (const n of SIZES) {
    await smallFiles(ws, n);
    const chain = join(dir, `chain-${n}.jsonl`);
    await sourceChain(chain, pair.privateKeyPem, policy, POLICY(keyId));
    const result = await child(['attest', ws, `d${n}/**`, chain, key, policy]);
    if (result.subjects !== n) throw new Error(`attest of ${n} files recorded ${result.subjects}`);
    measured.set(n, result);
  }
  const base = measured.get(1000) as AttestChildResult;
  const perBase = base.ms / 1000;
  const rows: BenchRow[] = SIZES.map((n) => {
    const r = measured.get(n) as AttestChildResult;
    const per = r.ms / n;
    return {
      name: `attest: build step of ${n} files (${r.records} record(s)), time per subject`,
      value: Math.round(per * 1000) / 1000,
      unit: 'ms',
      yardstick: 'the 1,000-file step, per subject',
      ratio: per / perBase,
      ...(n > 1000
        ? { target: `ratio ≤ ${LINEAR_TARGET}`, pass: per / perBase <= LINEAR_TARGET }
        : {}),
    };
  });
  const peak = (measured.get(100_000) as AttestChildResult).maxRssKiB / 1024;
  rows.push({
    name: 'attest: build step of 100,000 files, peak memory',
    value: Math.round(peak),
    unit: 'MiB',
    yardstick: `${MEMORY_BUDGET_MIB} MiB budget`,
    ratio: peak / MEMORY_BUDGET_MIB,
    target: 'ratio < 1',
    pass: peak < MEMORY_BUDGET_MIB,
  });
  return rows;
}

export default async function runAttestBench(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sathos-attest-bench-'));
  try {
    return [await hashRow(dir), ...(await attestRows(dir))];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
