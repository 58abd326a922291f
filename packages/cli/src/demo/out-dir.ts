// The demo's directory: it replaces what an earlier demo wrote there, and nothing else.
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SathosError, describeCause } from '@sathos/core';
import { makeDirectories } from '@sathos/node';

/** What the demo writes in its directory: all it ever removes, and the mark of a demo's directory. */
const DEMO_MARK = '.sathos-demo';
const DEMO_ENTRIES = [
  'chain.jsonl',
  'source',
  'artifacts',
  'deployed',
  'policy.yaml',
  'signing-key.pub',
  'gate-key.pem',
  'gate-key.pub',
  'chain-before-gate.jsonl',
  'demo.json',
  'sathos',
  'runs',
  'trusted-root.json',
];

function outError(out: string, message: string): SathosError {
  return new SathosError('USAGE', message, { where: out });
}

// The demo replaces what an earlier demo wrote, so it refuses a file and any directory it did not make.
export async function prepareOut(outDir: string): Promise<string> {
  if (outDir.trim() === '') {
    throw new SathosError('USAGE', '--out is empty; name a new directory, e.g. --out .sathos-demo');
  }
  const out = resolve(outDir);
  const info = await stat(out).catch((cause: unknown) => {
    if ((cause as { code?: unknown }).code === 'ENOENT') return undefined;
    throw outError(out, `cannot use --out (${describeCause(cause)}); choose another directory`);
  });
  if (info !== undefined && !info.isDirectory()) {
    throw outError(out, '--out names a file, not a directory; choose a new directory');
  }
  const entries = info === undefined ? [] : await readdir(out);
  if (entries.length > 0 && !entries.includes(DEMO_MARK) && !entries.includes('demo.json')) {
    throw outError(
      out,
      '--out holds files an earlier demo did not write; choose a new or empty directory',
    );
  }
  for (const old of DEMO_ENTRIES) await rm(join(out, old), { recursive: true, force: true });
  await makeDirectories(out, 'USAGE', 'demo directory (--out)');
  await writeFile(join(out, DEMO_MARK), 'written by sathos demo, which replaces its files here\n');
  return out;
}
