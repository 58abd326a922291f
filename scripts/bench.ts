// `npm run bench`: runs every bench/*.bench.ts in turn and prints one table (or, with --json,
// one JSON object on stdout). Writes no files. Exits 1 when a bench file fails to run.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkRows, formatTable, type SourcedRow } from './lib/bench-rows.js';
import { repoRoot, runScript } from './lib/run-script.js';

const BENCH_DIR = 'bench';
const SUFFIX = '.bench.ts';

async function benchFiles(): Promise<string[]> {
  const names = await readdir(join(repoRoot, BENCH_DIR));
  return names
    .filter((name) => name.endsWith(SUFFIX))
    .sort()
    .map((name) => `${BENCH_DIR}/${name}`);
}

async function runBenchFile(file: string): Promise<SourcedRow[]> {
  const module = (await import(pathToFileURL(join(repoRoot, file)).href)) as { default?: unknown };
  if (typeof module.default !== 'function') {
    throw new Error(
      `${file}: the default export must be async function run(): Promise<BenchRow[]>`,
    );
  }
  return checkRows(await (module.default as () => unknown)(), file);
}

runScript('bench', async () => {
  const json = process.argv.includes('--json');
  const rows: SourcedRow[] = [];
  const failures: string[] = [];
  for (const file of await benchFiles()) {
    if (!json) console.error(`bench: running ${file}`);
    try {
      rows.push(...(await runBenchFile(file)));
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (json) console.log(JSON.stringify({ rows, failures }));
  else {
    console.log(rows.length > 0 ? formatTable(rows) : 'bench: no bench/*.bench.ts rows');
    for (const failure of failures) console.error(`bench: ${failure}`);
  }
  return failures.length === 0 ? 0 : 1;
});
