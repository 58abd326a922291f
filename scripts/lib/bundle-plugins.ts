// esbuild plugins that decide what a bundle leaves out. Both are about size: every byte of an
// action's dist/ is read and compiled on each cold start, and a reviewer audits what it contains.
import { isAbsolute, relative, sep } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * Packages whose modules do nothing when imported but define things. Marking them side-effect free
 * lets esbuild drop every module whose exports no code path uses (the barrels re-export everything;
 * an action uses a slice). Listed by hand: a wrong entry would silently drop needed code, so each
 * was read — @actions/core's index pulls in its OIDC client, and with it all of undici, only for
 * getIDToken(), which nothing here calls.
 */
export const SIDE_EFFECT_FREE_PACKAGES: readonly string[] = [
  '@actions/core',
  '@actions/http-client',
];

/** Workspace folders whose TypeScript modules only declare: none may rely on a bare import. */
const WORKSPACE_DIRS = ['packages', 'actions'];

function insideWorkspaceSources(root: string, path: string): boolean {
  if (!isAbsolute(path)) return false;
  const rel = relative(root, path);
  if (rel.startsWith('..') || rel.split(sep).includes('node_modules')) return false;
  return WORKSPACE_DIRS.includes(rel.split(sep)[0] ?? '');
}

/** Marks the workspace's own modules and SIDE_EFFECT_FREE_PACKAGES as side-effect free. */
export function sideEffectFree(root: string): Plugin {
  const marker = Symbol('sathos-resolving');
  return {
    name: 'sathos-side-effect-free',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === marker || args.kind === 'entry-point') return undefined;
        const named =
          args.path.startsWith('@sathos/') || SIDE_EFFECT_FREE_PACKAGES.includes(args.path);
        const relativeInWorkspace =
          args.path.startsWith('.') && insideWorkspaceSources(root, args.resolveDir);
        if (!named && !relativeInWorkspace) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: marker,
        });
        if (resolved.errors.length > 0) return undefined; // esbuild reports the failure itself
        return { ...resolved, sideEffects: false };
      });
    },
  };
}

/**
 * Optional dependencies left out: each is `require`d inside a try/catch by a library that works
 * without it. iconv-lite (270 kB) only decodes non-UTF-8 HTTP bodies for minipass-fetch's
 * textConverted(), which the Sigstore clients never call; left out, that call throws instead.
 */
export const LEFT_OUT_OPTIONAL: readonly string[] = ['iconv-lite'];

export function leaveOutOptional(): Plugin {
  const filter = new RegExp(
    `^(${LEFT_OUT_OPTIONAL.map((name) => name.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})$`,
  );
  return {
    name: 'sathos-leave-out-optional',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'sathos-left-out' }));
      build.onLoad({ filter: /.*/, namespace: 'sathos-left-out' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is left out of this bundle`)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Dependencies replaced, for one importer only, by a stand-in that throws naming what was left out:
 * either named classes whose construction throws (an ES module), or a CommonJS module whose every
 * property throws when read. Each was read to be unreachable in SATHOS's use:
 * - @actions/http-client imports undici (460 kB) for getAgentDispatcher() alone — a proxy
 *   dispatcher for fetch() — which neither SATHOS nor @actions/cache or @actions/core calls; the
 *   import is static, so the whole of undici came with every HttpClient (the guard's cache).
 * - make-fetch-happen (Sigstore's HTTP client) requires cacache, and with it glob (about 160 kB),
 *   for its on-disk HTTP cache, which it touches only when a request carries `cachePath`
 *   (CachePolicy.storable and cache.invalidate return first without one); no Sigstore client
 *   SATHOS makes sets it.
 */
export type StubbedImport = { importer: string; path: string } & (
  { exports: readonly string[] } | { commonjs: true }
);

export const STUBBED_IMPORTS: readonly StubbedImport[] = [
  { importer: '/node_modules/@actions/http-client/', path: 'undici', exports: ['ProxyAgent'] },
  { importer: '/node_modules/make-fetch-happen/', path: 'cacache', commonjs: true },
];

const leftOut = (what: string): string =>
  JSON.stringify(`${what} is left out of this bundle (scripts/lib/bundle-plugins.ts)`);

/** The stand-in module's source for one stubbed import. */
export function stubSource(stub: StubbedImport): string {
  if ('commonjs' in stub) {
    // Symbols (inspection, interop probes) read as absent; any named property is a use.
    return [
      'module.exports = new Proxy({}, {',
      "  get(_, key) { if (typeof key !== 'string') return undefined;",
      `    throw new Error(${leftOut(stub.path)} + ' (read: ' + key + ')'); },`,
      '});',
    ].join('\n');
  }
  return stub.exports
    .map(
      (name) =>
        `export class ${name} { constructor() { throw new Error(${leftOut(`${stub.path}'s ${name}`)}); } }`,
    )
    .join('\n');
}

export function stubImports(): Plugin {
  return {
    name: 'sathos-stub-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const importer = args.importer.split(sep).join('/');
        const stub = STUBBED_IMPORTS.find(
          (entry) => entry.path === args.path && importer.includes(entry.importer),
        );
        return stub === undefined ? undefined : { path: stub.path, namespace: 'sathos-stubbed' };
      });
      build.onLoad({ filter: /.*/, namespace: 'sathos-stubbed' }, (args) => {
        const stub = STUBBED_IMPORTS.find((entry) => entry.path === args.path);
        if (stub === undefined) return { errors: [{ text: `no stand-in for ${args.path}` }] };
        return { contents: stubSource(stub), loader: 'js' };
      });
    },
  };
}

/**
 * Leaves the target's sibling imports (`./main.js` from an action's entry) as runtime imports of the
 * file beside the output, which its own target bundles. Only imports made by the entry file itself
 * match, so a module deeper in the graph with the same specifier is bundled as usual.
 */
export function leaveSiblings(entry: string, siblings: readonly string[]): Plugin {
  return {
    name: 'sathos-leave-siblings',
    setup(build) {
      build.onResolve({ filter: /^\.\// }, (args) =>
        args.importer === entry && siblings.includes(args.path)
          ? { path: args.path, external: true }
          : undefined,
      );
    },
  };
}
