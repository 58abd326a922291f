// Bundles one entry point with esbuild, in memory, so build and check-dist produce the very same
// bytes: same sources and lockfile in, byte-identical bundle out.
import { join, relative } from 'node:path';
import { build, type BuildOptions, type LogLevel, type Metafile } from 'esbuild';
import { leaveSiblings, sideEffectFree, stubImports } from './bundle-plugins.js';
import type { BundleTarget } from './targets.js';

// Bundled CommonJS dependencies call require(); an ESM bundle has none unless we make one.
const REQUIRE_SHIM = [
  "import { createRequire as __sathosCreateRequire } from 'node:module';",
  'const require = __sathosCreateRequire(import.meta.url);',
].join('\n');

const SHEBANG = '#!/usr/bin/env node';

/** The banner a target's bundle starts with. */
export function bannerFor(target: BundleTarget): string {
  return target.executable ? `${SHEBANG}\n${REQUIRE_SHIM}` : REQUIRE_SHIM;
}

/** One file esbuild wrote: its path relative to the root and its bytes. */
export interface BundleFile {
  path: string;
  contents: Uint8Array;
}

/**
 * A bundle's files and esbuild's account of which input contributed what. `files[0]` is the
 * entry (target.outfile); a split target adds its chunks after it, sorted by path.
 */
export interface Bundled {
  files: [BundleFile, ...BundleFile[]];
  metafile: Metafile;
}

/** The bundle's bytes. Paths in esbuild's comments are relative to `root`, so any clone agrees. */
export async function bundle(
  root: string,
  target: BundleTarget,
  logLevel: LogLevel = 'warning',
): Promise<Bundled> {
  const result = await build(options(root, target, logLevel)).catch((error: unknown) => {
    throw new Error(`esbuild could not bundle ${target.source} (see its errors above)`, {
      cause: error,
    });
  });
  const loaded = reachableOutputs(result.metafile, target.outfile);
  const files = result.outputFiles
    .map((file) => ({
      path: relative(root, file.path).split('\\').join('/'),
      contents: file.contents,
    }))
    .filter((file) => loaded.has(file.path));
  const entry = files.find((file) => file.path === target.outfile);
  const chunks = files.filter((file) => file !== entry);
  if (entry === undefined || (!target.split && chunks.length > 0)) {
    throw new Error(
      `esbuild wrote ${files.map((file) => file.path).join(', ')} for ${target.source}; expected ${target.outfile}${target.split ? ' and its chunks' : ' alone'}`,
    );
  }
  chunks.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const outputs = Object.fromEntries(
    Object.entries(result.metafile.outputs).filter(([path]) => loaded.has(path)),
  );
  return { files: [entry, ...chunks], metafile: { ...result.metafile, outputs } };
}

/**
 * The outputs the entry can ever load: itself and every chunk it imports, statically or with
 * import(), transitively. esbuild makes a chunk for every import() it meets, even one inside code
 * tree-shaking then drops (the guard's Actions cache in a bundle that never restores a baseline);
 * such a chunk is never loaded, so it is not shipped.
 */
export function reachableOutputs(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    const output = metafile.outputs[path];
    if (output === undefined || seen.has(path)) continue;
    seen.add(path);
    for (const imported of output.imports) {
      if (!imported.external) queue.push(imported.path);
    }
  }
  return seen;
}

// A split target writes its entry and, beside it, one chunk per dynamically imported part (what
// only one path needs: OpenPGP, CMS parsing, the Actions cache), loaded when that path runs.
// Chunk names carry esbuild's content hash, so the same inputs give the same names.
function outputOptions(target: BundleTarget): BuildOptions {
  if (!target.split) return { outfile: target.outfile };
  const slash = target.outfile.lastIndexOf('/');
  const entryName = target.outfile.slice(slash + 1).replace(/\.js$/, '');
  return {
    outdir: target.outfile.slice(0, slash),
    entryNames: entryName,
    chunkNames: 'chunk-[hash]',
    splitting: true,
  };
}

// Everything that decides the bundle's bytes is here, so the output is a function of the inputs.
// Minified and tree-shaken: an action's dist/ is compiled on every cold start and audited by whoever
// pins it; names are kept (keepNames) so errors and stack traces still say which function failed,
// and because code relies on them: @azure/storage-blob (the guard's cache) tells its pipeline's
// policy factories apart by constructor.name, @sigstore/sign and /verify name errors with it.
function options(
  root: string,
  target: BundleTarget,
  logLevel: LogLevel,
): BuildOptions & { write: false; metafile: true } {
  return {
    absWorkingDir: root,
    entryPoints: [target.source],
    ...outputOptions(target),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: bannerFor(target) },
    loader: { '.json': 'json' },
    sourcemap: false,
    minify: true,
    keepNames: true,
    treeShaking: true,
    metafile: true,
    plugins: [
      ...(target.siblings === undefined
        ? []
        : [leaveSiblings(join(root, target.source), target.siblings)]),
      stubImports(),
      sideEffectFree(root),
    ],
    legalComments: 'eof',
    charset: 'utf8',
    logLevel,
    write: false,
  };
}
