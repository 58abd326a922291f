// esbuild plugins that decide what a bundle leaves out. Both are about size: every byte of an
// action's dist/ is read and compiled on each cold start, and a reviewer audits what it contains.
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * Packages whose own modules, imported from one another, are side-effect free: each declares
 * `"sideEffects": false`, which esbuild does not apply here. @azure/storage-common's index re-exports
 * a CRC64 calculator whose crc64.js is an 87 kB Emscripten module with WebAssembly inside; nothing in
 * @azure/storage-blob (the guard's cache upload) uses it, yet it stayed in the bundle.
 */
export const SIDE_EFFECT_FREE_INSIDE: readonly string[] = ['@azure/storage-common'];

// The package a path is in is what follows its last node_modules/: a copy nested inside a listed
// package (its own node_modules) is another package, and is not covered.
function insidePackage(path: string): boolean {
  const slashed = `${path.split(sep).join('/')}/`;
  const at = slashed.lastIndexOf('/node_modules/');
  if (at < 0) return false;
  const rest = slashed.slice(at + '/node_modules/'.length);
  return SIDE_EFFECT_FREE_INSIDE.some((name) => rest.startsWith(`${name}/`));
}

/** Workspace folders whose TypeScript modules only declare: none may rely on a bare import. */
const WORKSPACE_DIRS = ['packages', 'actions'];

function insideWorkspaceSources(root: string, path: string): boolean {
  if (!isAbsolute(path)) return false;
  const rel = relative(root, path);
  if (rel.startsWith('..') || rel.split(sep).includes('node_modules')) return false;
  return WORKSPACE_DIRS.includes(rel.split(sep)[0] ?? '');
}

/**
 * Marks the workspace's own modules, SIDE_EFFECT_FREE_PACKAGES and the modules inside
 * SIDE_EFFECT_FREE_INSIDE as side-effect free.
 */
export function sideEffectFree(root: string): Plugin {
  const marker = Symbol('sathos-resolving');
  return {
    name: 'sathos-side-effect-free',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === marker || args.kind === 'entry-point') return undefined;
        const named =
          args.path.startsWith('@sathos/') || SIDE_EFFECT_FREE_PACKAGES.includes(args.path);
        const relativeInside =
          args.path.startsWith('.') &&
          (insideWorkspaceSources(root, args.resolveDir) || insidePackage(args.resolveDir));
        if (!named && !relativeInside) return undefined;
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
 * Dependencies replaced, for one importer only, by a stand-in: either one that throws naming what was
 * left out (named classes whose construction throws, as an ES module), or a module of ours that does
 * the same job smaller. Each was read to be unreachable, or replaceable, in SATHOS's use:
 * - @actions/http-client imports undici (460 kB) for getAgentDispatcher() alone — a proxy
 *   dispatcher for fetch() — which neither SATHOS nor @actions/cache or @actions/core calls; the
 *   import is static, so the whole of undici came with every HttpClient (the guard's cache).
 * - @sigstore/sign sends its Fulcio, Rekor and TSA requests (and its CI token request, which SATHOS
 *   does not make) through make-fetch-happen: about 230 kB with socks and proxy agents, an HTTP cache
 *   and retries it turns off. sigstore-fetch.ts does the same calls with Node's own fetch, bounded.
 */
export type StubbedImport = { importer: string; path: string } & (
  { exports: readonly string[] } | { replacement: string }
);

export const STUBBED_IMPORTS: readonly StubbedImport[] = [
  { importer: '/node_modules/@actions/http-client/', path: 'undici', exports: ['ProxyAgent'] },
  {
    importer: '/node_modules/@sigstore/sign/',
    path: 'make-fetch-happen',
    replacement: fileURLToPath(new URL('sigstore-fetch.ts', import.meta.url)),
  },
];

const leftOut = (what: string): string =>
  JSON.stringify(`${what} is left out of this bundle (scripts/lib/bundle-plugins.ts)`);

/** The stand-in module's source for one stubbed import that throws. */
export function stubSource(stub: { path: string; exports: readonly string[] }): string {
  return stub.exports
    .map(
      (name) =>
        `export class ${name} { constructor() { throw new Error(${leftOut(`${stub.path}'s ${name}`)}); } }`,
    )
    .join('\n');
}

export function stubImports(stubs: readonly StubbedImport[] = STUBBED_IMPORTS): Plugin {
  return {
    name: 'sathos-stub-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const importer = args.importer.split(sep).join('/');
        const stub = stubs.find(
          (entry) => entry.path === args.path && importer.includes(entry.importer),
        );
        if (stub === undefined) return undefined;
        if ('replacement' in stub) return { path: stub.replacement };
        return { path: stub.path, namespace: 'sathos-stubbed' };
      });
      build.onLoad({ filter: /.*/, namespace: 'sathos-stubbed' }, (args) => {
        const stub = stubs.find((entry) => entry.path === args.path);
        if (stub === undefined || !('exports' in stub)) {
          return { errors: [{ text: `no stand-in for ${args.path}` }] };
        }
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
