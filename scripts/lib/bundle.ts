// Bundles one entry point with esbuild, in memory, so build and check-dist produce the very same
// bytes: same sources and lockfile in, byte-identical bundle out.
import { build, type BuildOptions, type LogLevel, type Metafile } from 'esbuild';
import { leaveOutOptional, sideEffectFree } from './bundle-plugins.js';
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

/** A bundle's bytes and esbuild's account of which input contributed what. */
export interface Bundled {
  contents: Uint8Array;
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
  const [output, ...rest] = result.outputFiles;
  if (output === undefined || rest.length > 0) {
    throw new Error(
      `esbuild wrote ${result.outputFiles.length} files for ${target.source}; expected one`,
    );
  }
  return { contents: output.contents, metafile: result.metafile };
}

// Everything that decides the bundle's bytes is here, so the output is a function of the inputs.
// Minified and tree-shaken: an action's dist/ is compiled on every cold start and audited by whoever
// pins it; names are kept (keepNames) so errors and stack traces still say which function failed.
function options(
  root: string,
  target: BundleTarget,
  logLevel: LogLevel,
): BuildOptions & { write: false; metafile: true } {
  return {
    absWorkingDir: root,
    entryPoints: [target.source],
    outfile: target.outfile,
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
    plugins: [sideEffectFree(root), leaveOutOptional()],
    legalComments: 'eof',
    charset: 'utf8',
    logLevel,
    write: false,
  };
}
