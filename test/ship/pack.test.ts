// The CLI as a user gets it: `npm pack` of packages/cli, installed into an empty prefix with no
// network (the tarball must carry everything it runs), then `sathos demo` and the demo's own verify
// command run from the installed binary. Uses the committed bundle (packages/cli/dist/sathos.js and
// the chunks its commands load), which check-dist keeps equal to the sources.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliDir = join(root, 'packages', 'cli');
// The installed `sathos` starts with `#!/usr/bin/env node`: the Node running this test (24) comes first.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

async function npm(args: string[], cwd: string, home: string) {
  // An empty cache and user config: nothing from this machine's npm state helps the install.
  return run('npm', args, {
    cwd,
    env: {
      ...env,
      npm_config_cache: join(home, 'cache'),
      npm_config_userconfig: join(home, 'npmrc'),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
}

void describe('the packed CLI', () => {
  let work = '';
  let tarball = '';
  let sathos = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sathos-pack-'));
    await writeFile(join(work, 'npmrc'), '');
    const { stdout } = await npm(
      ['pack', '--json', '--pack-destination', work, '--ignore-scripts'],
      cliDir,
      work,
    );
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed !== undefined, 'npm pack described no tarball');
    tarball = join(work, packed.filename);
    packedFiles = packed.files.map((file) => file.path).sort();
    sathos = join(work, 'prefix', 'bin', 'sathos');
  });
  let packedFiles: string[] = [];
  after(async () => {
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  void it('carries only the bundle, its chunks and its manifest (no sources, no tests)', async () => {
    // The chunks are what each command loads on demand (scripts/lib/targets.ts): all of them ship.
    const dist = (await readdir(join(cliDir, 'dist'))).map((name) => `dist/${name}`);
    assert.ok(dist.includes('dist/sathos.js'));
    for (const path of dist) assert.match(path, /^dist\/(?:sathos|chunk-[A-Z0-9]+)\.js$/);
    assert.deepEqual(packedFiles, [...dist, 'package.json'].sort());
  });

  void it('declares no runtime dependencies and requires Node 24', async () => {
    const manifest = JSON.parse(await readFile(join(cliDir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.private, undefined);
    assert.deepEqual(manifest.engines, { node: '>=24' });
  });

  // A manifest entry pointing outside the tarball (exports on ./src/index.ts) breaks anyone who
  // imports the package; every file the manifest names must be one the tarball carries.
  void it('names in bin and exports only files the tarball carries', async () => {
    const manifest = JSON.parse(await readFile(join(cliDir, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
      exports?: unknown;
      main?: string;
    };
    const targets = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value]
        : typeof value === 'object' && value !== null
          ? Object.values(value).flatMap(targets)
          : [];
    const named = [...Object.values(manifest.bin ?? {}), ...targets(manifest.exports)];
    if (manifest.main !== undefined) named.push(manifest.main);
    assert.ok(named.length > 0, 'the manifest names no file (no bin)');
    for (const path of named) {
      assert.ok(packedFiles.includes(path.replace(/^\.\//, '')), `${path} is not in the tarball`);
    }
  });

  void it('installs offline into an empty prefix, runs the demo and verifies its chain', async () => {
    await npm(
      [
        'install',
        '--global',
        '--offline',
        '--ignore-scripts',
        '--prefix',
        join(work, 'prefix'),
        tarball,
      ],
      work,
      work,
    );
    const installed = await readdir(join(work, 'prefix', 'lib', 'node_modules', '@sathos', 'cli'));
    assert.deepEqual(installed.sort(), ['dist', 'package.json']);

    const out = join(work, 'demo');
    await run(sathos, ['demo', '--out', out], { env, cwd: work });
    const demo = JSON.parse(await readFile(join(out, 'demo.json'), 'utf8')) as { verify: string[] };
    const { stdout } = await run(sathos, [...demo.verify, '--json'], { env, cwd: work });
    const verdict = JSON.parse(stdout) as { verified: boolean; code: string };
    assert.equal(verdict.verified, true);
    assert.equal(verdict.code, 'OK');
  });

  void it('the installed binary rejects the demo chain once its artifact changes', async () => {
    const out = join(work, 'demo');
    const demo = JSON.parse(await readFile(join(out, 'demo.json'), 'utf8')) as {
      verify: string[];
      artifacts: string[];
    };
    const [artifact] = demo.artifacts;
    assert.ok(artifact !== undefined);
    const bytes = await readFile(artifact);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    await writeFile(artifact, bytes);
    const failed = await run(sathos, [...demo.verify, '--json'], { env, cwd: work }).then(
      () => assert.fail('verify-chain accepted a changed artifact'),
      (error: unknown) => error as { code: number; stdout: string },
    );
    assert.equal(failed.code, 1);
    assert.equal((JSON.parse(failed.stdout) as { verified: boolean }).verified, false);
  });
});
