// The shipped bundles: each action's dist/ size against the 1.5 MB budget, and its cold start
// (node dist/index.js with no inputs, which must fail cleanly with one ::error::) against a bare
// `node -e 0` started the same way, in the same run. A bundle that exits 0 without inputs, or
// crashes instead of failing with ::error::, fails the bench. The CLI's --version, --help and a
// usage error are held to the same start target; its dist/ and entry sizes are named.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { measure, type BenchRow } from './lib.js';

const ROOT = resolve(import.meta.dirname, '..');
const SIZE_BUDGET_BYTES = 1_500_000;
const START_TARGET = 2;
const SPAWN_OPTIONS = { minIterations: 5, minMillis: 500 };

interface Exit {
  code: number;
  stdout: string;
}

// Only PATH: no INPUT_* variables, so every action takes its "missing input" path.
function spawnNode(args: readonly string[], cwd: string): Promise<Exit> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [...args],
      { cwd, env: { PATH: process.env.PATH ?? '' } },
      (error, stdout) => {
        if (error !== null && typeof error.code !== 'number') fail(new Error(error.message));
        else done({ code: error === null ? 0 : Number(error.code), stdout });
      },
    );
  });
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

async function actionRows(name: string, bare: number): Promise<BenchRow[]> {
  const dir = join(ROOT, 'actions', name);
  const first = await spawnNode(['dist/index.js'], dir);
  if (first.code === 0 || !first.stdout.includes('::error::')) {
    throw new Error(
      `actions/${name}/dist/index.js with no inputs exited ${first.code} without one ::error:: line; it must fail cleanly`,
    );
  }
  const size = await dirBytes(join(dir, 'dist'));
  const start = await measure(() => spawnNode(['dist/index.js'], dir), SPAWN_OPTIONS);
  const r = start.medianNs / bare;
  return [
    {
      name: `${name}: dist/ size`,
      value: Math.round(size / 1000),
      unit: 'kB',
      yardstick: `budget ${SIZE_BUDGET_BYTES / 1000} kB`,
      ratio: Math.round((size / SIZE_BUDGET_BYTES) * 100) / 100,
      target: '≤ 1×',
      pass: size <= SIZE_BUDGET_BYTES,
    },
    {
      name: `${name}: cold start (no inputs → ::error::)`,
      value: ms(start.medianNs),
      unit: 'ms',
      yardstick: `node -e 0, ${ms(bare)} ms`,
      ratio: Math.round(r * 100) / 100,
      target: `≤ ${START_TARGET}×`,
      pass: r <= START_TARGET,
    },
  ];
}

// What the CLI answers before loading any command's module: each must start within START_TARGET.
const CLI_STARTS: readonly { label: string; args: readonly string[]; code: number }[] = [
  { label: '--version', args: ['--version'], code: 0 },
  { label: '--help', args: ['--help'], code: 0 },
  { label: 'usage error', args: ['verify-bundle'], code: 2 },
];

async function cliRows(bare: number): Promise<BenchRow[]> {
  const dist = join(ROOT, 'packages/cli/dist');
  const cli = join(dist, 'sathos.js');
  const sizes = `dist/ ${Math.round((await dirBytes(dist)) / 1000)} kB, entry ${Math.round((await stat(cli)).size / 1000)} kB`;
  const rows: BenchRow[] = [];
  for (const { label, args, code } of CLI_STARTS) {
    const first = await spawnNode([cli, ...args], ROOT);
    if (first.code !== code) {
      throw new Error(`sathos ${args.join(' ')} exited ${first.code}, expected ${code}`);
    }
    const start = await measure(() => spawnNode([cli, ...args], ROOT), SPAWN_OPTIONS);
    const r = start.medianNs / bare;
    rows.push({
      name: `sathos CLI: cold start (${label}), ${sizes}`,
      value: ms(start.medianNs),
      unit: 'ms',
      yardstick: `node -e 0, ${ms(bare)} ms`,
      ratio: Math.round(r * 100) / 100,
      target: `≤ ${START_TARGET}×`,
      pass: r <= START_TARGET,
    });
  }
  return rows;
}

export default async function run(): Promise<BenchRow[]> {
  const names = (await readdir(join(ROOT, 'actions'), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const rows: BenchRow[] = [];
  for (const name of names) {
    // The yardstick is re-measured next to each action, so a machine that slows down mid-run
    // does not bias the later ratios.
    const bare = await measure(() => spawnNode(['-e', '0'], ROOT), SPAWN_OPTIONS);
    rows.push(...(await actionRows(name, bare.medianNs)));
  }
  const bare = await measure(() => spawnNode(['-e', '0'], ROOT), SPAWN_OPTIONS);
  rows.push(...(await cliRows(bare.medianNs)));
  return rows;
}
