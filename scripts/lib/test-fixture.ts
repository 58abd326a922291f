// A throwaway repository for the build-machinery tests: the real action-template.yml, one action
// that imports a local module, a JSON file and a CommonJS dependency, and optionally a CLI entry.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './run-script.js';

const FILES: Record<string, string> = {
  'package.json': '{ "name": "fixture", "private": true, "type": "module" }\n',
  'actions/hello/action.src.yml': [
    'name: Hello',
    'description: Says hello from a bundled action.',
    'shared-inputs:',
    '  - policy: { required: true }',
    '  - chain',
    'inputs:',
    '  who:',
    '    description: Whom to greet.',
    '    default: world',
    'outputs:',
    '  greeting:',
    '    description: The greeting it printed.',
    '',
  ].join('\n'),
  'actions/hello/src/index.ts': [
    "import { greet } from './greet.js';",
    "import data from './data.json' with { type: 'json' };",
    "import { joined } from 'cjs-dep';",
    'console.log(greet(data.who), joined);',
    '',
  ].join('\n'),
  'actions/hello/src/greet.ts': 'export const greet = (who: string): string => `hello ${who}`;\n',
  'actions/hello/src/data.json': '{ "who": "fixture" }\n',
  'node_modules/cjs-dep/package.json': '{ "name": "cjs-dep", "main": "index.js" }\n',
  'node_modules/cjs-dep/index.js': "exports.joined = require('node:path').posix.join('a', 'b');\n",
};

// An action that loads one module with import() (a chunk beside dist/index.js) and holds another
// import() only in code nothing calls (a chunk esbuild makes but nothing can load).
const LAZY_FILES: Record<string, string> = {
  'actions/lazy/action.src.yml': 'name: Lazy\ndescription: Loads a module on demand.\n',
  'actions/lazy/src/index.ts': [
    "import { used } from './both.js';",
    "const { later } = await import('./later.js');",
    'console.log(used(), later());',
    '',
  ].join('\n'),
  'actions/lazy/src/both.ts': [
    "export const used = (): string => 'used';",
    "export const unused = async (): Promise<string> => (await import('./never.js')).never;",
    '',
  ].join('\n'),
  'actions/lazy/src/later.ts': "export const later = (): string => 'loaded later';\n",
  'actions/lazy/src/never.ts': "export const never = 'never-loaded-marker';\n",
};

// An action whose entry reads its input through a module main.ts also uses (a barrel with named
// re-exports, as @sathos/core's), then loads main.ts with import(). main.ts also reaches a heavy
// module through that barrel: in one build with code splitting, the barrel puts it in a chunk the
// entry loads up front; as two builds, the entry holds only what reading the input needs.
const MAIN_FILES: Record<string, string> = {
  'actions/split/action.src.yml': 'name: Split\ndescription: Reads its input, then loads main.\n',
  'actions/split/src/index.ts': [
    "import { readWho } from './barrel.js';",
    'const who = readWho(process.env);',
    'if (who === undefined) console.log(\'::error::USAGE: input "who" is required\');',
    "else (await import('./main.js')).run(who);",
    '',
  ].join('\n'),
  'actions/split/src/barrel.ts': [
    "export { readWho } from './inputs.js';",
    "export { heavy } from './heavy.js';",
    '',
  ].join('\n'),
  'actions/split/src/inputs.ts':
    'export const readWho = (env: Record<string, string | undefined>) => env.INPUT_WHO;\n',
  'actions/split/src/heavy.ts': [
    "import { readWho } from './inputs.js';",
    "export const heavy = (): string => 'heavy-module-marker' + String(readWho({}));",
    '',
  ].join('\n'),
  'actions/split/src/main.ts': [
    "import { heavy, readWho } from './barrel.js';",
    "export const run = (who: string): void => console.log(`hello ${who}`, heavy().length, readWho({ INPUT_WHO: 'x' }));",
    '',
  ].join('\n'),
};

/** Creates the fixture repository in a new temporary directory and returns its path. */
export async function makeFixture(
  options: { cli?: boolean; lazy?: boolean; main?: boolean } = {},
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sathos-build-'));
  const files = {
    ...FILES,
    ...(options.lazy === true ? LAZY_FILES : {}),
    ...(options.main === true ? MAIN_FILES : {}),
  };
  if (options.cli === true) {
    files['packages/cli/src/bin.ts'] = "console.log('sathos fixture');\n";
  }
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  await cp(join(repoRoot, 'action-template.yml'), join(root, 'action-template.yml'));
  await cp(join(repoRoot, '.prettierrc.json'), join(root, '.prettierrc.json'));
  return root;
}

/** Removes a fixture made by makeFixture. */
export async function removeFixture(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}
