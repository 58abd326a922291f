// `npm run pack:core [-- <destination>]`: the publishable @sathos/core tarball. The workspace's
// manifest points its exports at src/*.ts (every workspace package and test runs the sources
// directly) and stays `private`, so it can never be published by mistake; this script compiles
// JavaScript and declarations with tsc (packages/core/tsconfig.publish.json), stages them with a
// manifest whose exports name build/*.js and *.d.ts, and packs that. Prints the tarball's path.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, runScript } from './lib/run-script.js';

const run = promisify(execFile);
const CORE = join(repoRoot, 'packages', 'core');
const STAGE = join(repoRoot, 'build', 'pack', 'core');

/** The published manifest: the workspace's, with exports on the compiled files and no `private`. */
export function publishedManifest(workspace: Record<string, unknown>): Record<string, unknown> {
  const rest = Object.fromEntries(
    Object.entries(workspace).filter(
      ([key]) => !['private', 'exports', 'devDependencies'].includes(key),
    ),
  );
  return {
    ...rest,
    exports: { '.': { types: './build/index.d.ts', default: './build/index.js' } },
    types: './build/index.d.ts',
    files: ['build/**/*.js', 'build/**/*.d.ts', 'build/**/*.json'],
    engines: { node: '>=24' },
    publishConfig: { access: 'public', provenance: true },
  };
}

runScript('pack:core', async () => {
  const destination = resolve(process.argv[2] ?? repoRoot);
  const out = join(CORE, 'build', 'publish');
  await rm(out, { recursive: true, force: true });
  await run(process.execPath, [
    join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(CORE, 'tsconfig.publish.json'),
  ]);
  await rm(STAGE, { recursive: true, force: true });
  await mkdir(STAGE, { recursive: true });
  await cp(out, join(STAGE, 'build'), { recursive: true });
  const workspace = JSON.parse(await readFile(join(CORE, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  await writeFile(
    join(STAGE, 'package.json'),
    `${JSON.stringify(publishedManifest(workspace), null, 2)}\n`,
  );
  await mkdir(destination, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: STAGE,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (packed === undefined) throw new Error('npm pack described no tarball');
  console.log(join(destination, packed.filename));
  return 0;
});
