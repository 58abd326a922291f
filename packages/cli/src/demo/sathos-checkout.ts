// The SATHOS the demo runs: the reusable workflows and every action's action.yml and committed
// dist/ of the checkout this CLI belongs to, committed into a scratch repository that the local
// runner resolves `uses: sathos-dev/sathos/...@<sha>` against — the code path users run.
import { existsSync } from 'node:fs';
import { cp, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SathosError } from '@sathos/core';
import { makeDirectories } from '@sathos/node';
import { git } from './scratch-repo.js';

export const SATHOS_REPOSITORY = 'sathos-dev/sathos';
const PIPELINE = '.github/workflows/sathos-pipeline.yml';

/** The checkout holding this CLI (its bundle or its sources), else the working directory's, else none. */
export function findSathosCheckout(
  from = fileURLToPath(import.meta.url),
  cwd = process.cwd(),
): string | undefined {
  const isCheckout = (dir: string) =>
    existsSync(join(dir, PIPELINE)) && existsSync(join(dir, 'actions'));
  for (let dir = dirname(from); dirname(dir) !== dir; dir = dirname(dir)) {
    if (isCheckout(dir)) return dir;
  }
  return isCheckout(cwd) ? resolve(cwd) : undefined;
}

async function copyIfPresent(from: string, to: string): Promise<boolean> {
  if (!existsSync(from)) return false;
  await cp(from, to, { recursive: true });
  return true;
}

/** Commits the checkout's stage workflows and action bundles into `dir`; returns the commit. */
export async function commitSathos(checkout: string, dir: string): Promise<string> {
  await makeDirectories(join(dir, '.github/workflows'), 'STORE_FAILED', 'demo SATHOS repository');
  await git(['init', '-q', '-b', 'main'], dir);
  const workflows = join(checkout, '.github/workflows');
  for (const name of (await readdir(workflows)).filter((n) => n.startsWith('sathos-')))
    await cp(join(workflows, name), join(dir, '.github/workflows', name));
  let actions = 0;
  for (const action of await readdir(join(checkout, 'actions'))) {
    const from = join(checkout, 'actions', action);
    if (!existsSync(join(from, 'dist'))) continue;
    await copyIfPresent(join(from, 'action.yml'), join(dir, 'actions', action, 'action.yml'));
    await copyIfPresent(join(from, 'dist'), join(dir, 'actions', action, 'dist'));
    actions += 1;
  }
  if (actions === 0) {
    throw new SathosError(
      'USAGE',
      `${checkout} holds no built action (actions/*/dist); run npm run build and retry`,
    );
  }
  await git(['add', '-A'], dir);
  await git(['commit', '-q', '--no-gpg-sign', '-m', 'sathos: the release the demo runs'], dir);
  return (await git(['rev-parse', 'HEAD'], dir)).trim();
}
