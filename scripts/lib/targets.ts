// Finds what the build produces: one bundle per action, the sathos CLI bundle, and one action.yml
// per action. The list is data: add an entry to FIXED_BUNDLES to bundle another program.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** One esbuild entry point and the committed file it becomes (paths relative to the root). */
export interface BundleTarget {
  source: string;
  outfile: string;
  /** Prepend `#!/usr/bin/env node` and set the executable bit. */
  executable: boolean;
  /**
   * Write lazily imported code to chunks beside outfile (its directory then belongs to the build:
   * check-dist flags any other file in it): each command of the CLI, what one path of an action needs.
   */
  split: boolean;
  /**
   * Relative imports left as they are (`./main.js`): each names a file beside outfile that another
   * target bundles. An action's entry loads its main this way, so the entry bundle holds only what
   * reading the inputs needs — one build's code splitting would put every module the entry's
   * imports can reach into chunks the entry loads up front.
   */
  siblings?: readonly string[];
}

/** One action directory: its action.src.yml and the action.yml generated from it. */
export interface ActionTarget {
  name: string;
  source: string;
  outfile: string;
}

export type Log = (line: string) => void;

/** Bundles that exist outside actions/. An absent optional source is skipped with a log line. */
export const FIXED_BUNDLES: readonly (BundleTarget & { optional: boolean })[] = [
  {
    source: 'packages/cli/src/bin.ts',
    outfile: 'packages/cli/dist/sathos.js',
    executable: true,
    split: true,
    optional: true,
  },
];

export const TEMPLATE_FILE = 'action-template.yml';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The names of the directories under actions/, sorted; none when actions/ is absent. */
export async function actionNames(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, 'actions'), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

// Every action directory needs both halves: code (src/index.ts) and metadata (action.src.yml).
async function checkActionDir(root: string, name: string): Promise<void> {
  for (const file of ['src/index.ts', 'action.src.yml']) {
    if (!(await exists(join(root, 'actions', name, file)))) {
      throw new Error(
        `actions/${name}/${file} is missing; every action needs src/index.ts and action.src.yml`,
      );
    }
  }
}

/**
 * An action's bundles. With src/main.ts, two: the entry (src/index.ts, which reads the inputs and
 * then imports './main.js') alone in dist/index.js, and the main with its chunks; without, one.
 */
async function actionBundles(root: string, name: string): Promise<BundleTarget[]> {
  const dir = `actions/${name}`;
  if (!(await exists(join(root, dir, 'src/main.ts')))) {
    return [
      {
        source: `${dir}/src/index.ts`,
        outfile: `${dir}/dist/index.js`,
        executable: false,
        split: true,
      },
    ];
  }
  return [
    {
      source: `${dir}/src/index.ts`,
      outfile: `${dir}/dist/index.js`,
      executable: false,
      split: false,
      siblings: ['./main.js'],
    },
    {
      source: `${dir}/src/main.ts`,
      outfile: `${dir}/dist/main.js`,
      executable: false,
      split: true,
    },
  ];
}

/** Every bundle the build writes, in a stable order. */
export async function bundleTargets(root: string, log: Log): Promise<BundleTarget[]> {
  const targets: BundleTarget[] = [];
  for (const name of await actionNames(root)) {
    await checkActionDir(root, name);
    targets.push(...(await actionBundles(root, name)));
  }
  for (const { optional, ...target } of FIXED_BUNDLES) {
    if (await exists(join(root, target.source))) targets.push(target);
    else if (optional) log(`skipping ${target.outfile}: ${target.source} does not exist yet`);
    else throw new Error(`${target.source} is missing; restore it or remove it from FIXED_BUNDLES`);
  }
  return targets;
}

/** Every action.yml the build writes, in a stable order. */
export async function actionTargets(root: string): Promise<ActionTarget[]> {
  const targets: ActionTarget[] = [];
  for (const name of await actionNames(root)) {
    await checkActionDir(root, name);
    targets.push({
      name,
      source: `actions/${name}/action.src.yml`,
      outfile: `actions/${name}/action.yml`,
    });
  }
  return targets;
}
