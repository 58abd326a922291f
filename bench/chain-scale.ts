// Chains at the spec's own limits, measured each in a child process (bench/chain-child.ts) so its
// peak memory is its own: time and memory per record of one n-record chain against the 10-record
// chain verified n/10 times in one process (the same records, the same bundles, kept alive alike),
// measured in the same run. A verifier that copies every ancestor into every record grows with n².
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  buildTransitionStatement,
  decodeDssePayload,
  generateSigningKeyPair,
  keySigner,
  linkRef,
  sha256Hex,
  signStatement,
  type NextLink,
  type PolicyDecisionRef,
  type ResourceDescriptor,
  type RunBinding,
} from '@sathos/core';
import type { BenchRow } from './lib.js';
import type { ChildResult } from './chain-child.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./chain-child.ts', import.meta.url));
export const SCALE_STAGES = ['source', 'build', 'test', 'deploy'] as const;
const FLAT_TARGET = 1.5;
/**
 * Peak memory of one long run holds all of that run's temporaries at once, where the yardstick frees
 * each short run's: a constant factor, not growth. Growth with n shows as this ratio rising with n.
 */
const MEMORY_TARGET = 2;

const RUN: RunBinding = {
  repository: 'bench/scale',
  workflowRef: 'bench/scale/.github/workflows/release.yml@refs/heads/main',
  runId: '1',
  runAttempt: 1,
  commit: 'b'.repeat(40),
};

/** `count` artifacts, app.tar first; every record after the source names all of them. */
function artifacts(count: number): ResourceDescriptor[] {
  return Array.from({ length: count }, (_, i) => ({
    name: i === 0 ? 'app.tar' : `part-${i}.bin`,
    digest: { sha256: sha256Hex(`artifact ${i}`) },
  }));
}

/** source → build → test × (n − 3) → deploy, key-signed; each record may carry a recorded allow. */
export async function writeChain(
  path: string,
  n: number,
  subjects: number,
  signer: ReturnType<typeof keySigner>,
  policy?: PolicyDecisionRef,
): Promise<void> {
  const named = artifacts(subjects);
  const rows: string[] = [];
  let link: NextLink = { sequence: 0, previous: [] };
  let genesis: string | undefined;
  for (let index = 0; index < n; index++) {
    const stage =
      index === 0 ? 'source' : index === 1 ? 'build' : index === n - 1 ? 'deploy' : 'test';
    const statement = buildTransitionStatement({
      stage,
      subjects: index === 0 ? [{ digest: { gitCommit: RUN.commit } }] : named,
      run: RUN,
      link,
      actor: { kind: 'key', keyId: signer.keyId },
      ...(policy === undefined ? {} : { policy }),
      ...(stage === 'deploy'
        ? { terminal: true, observations: { environment: 'production' } }
        : {}),
    });
    const bundle = await signStatement(statement, signer);
    const { digest } = decodeDssePayload(bundle, `record ${index}`);
    genesis ??= digest;
    rows.push(JSON.stringify(bundle));
    link = { sequence: index + 1, genesis: { sha256: genesis }, previous: [linkRef(digest)] };
  }
  await writeFile(path, `${rows.join('\n')}\n`);
}

export async function child(args: readonly string[]): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as ChildResult;
}

/** The yardstick chain's length: every size is compared with this chain verified size/10 times. */
const YARDSTICK_RECORDS = 10;

export interface Scenario {
  /** e.g. "verify-chain" or "verify-chain --policy". */
  readonly label: string;
  /** Records per chain, each a multiple of 10. */
  readonly sizes: readonly number[];
  readonly subjects: number;
  /** Policy YAML to re-evaluate (given the signer's key id), and the decision each record carries. */
  readonly policy?: {
    readonly text: (keyId: string) => string;
    readonly recorded: PolicyDecisionRef;
  };
}

interface Measured {
  readonly msPerRecord: number;
  readonly kibPerRecord: number;
  readonly peakMiB: number;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** One chain file verified `repeat` times in a fresh child; memory is the peak above an idle child's. */
async function measureChild(
  scenario: Scenario,
  files: { chain: string; key: string; policy: string },
  records: number,
  repeat: number,
  idleKiB: number,
): Promise<Measured> {
  const result = await child([
    'verify',
    files.chain,
    files.key,
    SCALE_STAGES.join(','),
    String(repeat),
    ...(scenario.policy === undefined ? [] : [files.policy]),
  ]);
  const total = records * repeat;
  if (result.records !== total || result.allowed === false)
    throw new Error(`${scenario.label}: ${repeat} × ${records} records did not verify whole`);
  return {
    msPerRecord: result.ms / total,
    kibPerRecord: Math.max(0, result.maxRssKiB - idleKiB) / total,
    peakMiB: result.maxRssKiB / 1024,
  };
}

function rowsFor(
  what: string,
  n: number,
  one: Measured,
  base: Measured,
  idleMiB: number,
): BenchRow[] {
  const time = one.msPerRecord / base.msPerRecord;
  const memory = one.kibPerRecord / Math.max(base.kibPerRecord, 0.001);
  const yard = `${n / YARDSTICK_RECORDS} × a ${YARDSTICK_RECORDS}-record chain`;
  return [
    {
      name: `${what}: ${n} records, CPU time per record (child process)`,
      value: round(one.msPerRecord * 1000),
      unit: 'µs/record',
      yardstick: `${yard}, ${round(base.msPerRecord * 1000)} µs/record`,
      ratio: time,
      target: `< ${FLAT_TARGET}×`,
      pass: time < FLAT_TARGET,
    },
    {
      name: `${what}: ${n} records, peak memory per record above idle (peak ${round(one.peakMiB, 0)} MiB)`,
      value: round(one.kibPerRecord),
      unit: 'KiB/record',
      yardstick: `${yard}, ${round(base.kibPerRecord)} KiB/record (peak ${round(base.peakMiB, 0)} MiB; idle ${round(idleMiB, 0)} MiB)`,
      ratio: memory,
      target: `< ${MEMORY_TARGET}×`,
      pass: memory < MEMORY_TARGET,
    },
  ];
}

/** Each size against the 10-record chain repeated to the same record count, each in a fresh child. */
export async function scaleRows(scenario: Scenario): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sathos-bench-scale-'));
  try {
    const keys = generateSigningKeyPair();
    const signer = keySigner({ privateKeyPem: keys.privateKeyPem });
    const files = {
      chain: join(dir, 'chain.jsonl'),
      key: join(dir, 'key.pem'),
      policy: join(dir, 'policy.yaml'),
    };
    const yardstick = { ...files, chain: join(dir, 'yardstick.jsonl') };
    await writeFile(files.key, keys.publicKeyPem);
    if (scenario.policy !== undefined)
      await writeFile(files.policy, scenario.policy.text(signer.keyId));
    const recorded = scenario.policy?.recorded;
    await writeChain(yardstick.chain, YARDSTICK_RECORDS, scenario.subjects, signer, recorded);
    const idle = await child(['idle']);
    const what = `${scenario.label}, ${scenario.subjects}-subject records`;
    const rows: BenchRow[] = [];
    for (const n of scenario.sizes) {
      await writeChain(files.chain, n, scenario.subjects, signer, recorded);
      const one = await measureChild(scenario, files, n, 1, idle.maxRssKiB);
      const base = await measureChild(
        scenario,
        yardstick,
        YARDSTICK_RECORDS,
        n / YARDSTICK_RECORDS,
        idle.maxRssKiB,
      );
      rows.push(...rowsFor(what, n, one, base, idle.maxRssKiB / 1024));
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
