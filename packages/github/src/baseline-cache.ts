// Where the guard action keeps a step's baseline between runs: the Actions cache. A cache entry is
// immutable, so every learned run saves a new entry (the key names the run) and the next run
// restores the newest entry by prefix. The backend is an interface: the action passes
// @actions/cache, tests a directory.
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as ActionsCacheModule from '@actions/cache';
import { SathosError, STEP_ID_PATTERN, describeCause } from '@sathos/core';

export interface CacheBackend {
  /** Restores `path` from the newest entry whose key starts with `prefix`; the key, or undefined. */
  restore(path: string, prefix: string): Promise<string | undefined>;
  save(path: string, key: string): Promise<void>;
}

/** The part of @actions/cache the backend calls. */
export type ActionsCache = Pick<
  typeof ActionsCacheModule,
  'isFeatureAvailable' | 'restoreCache' | 'saveCache'
>;

/**
 * The runner's Actions cache. @actions/cache (with the Azure storage client and undici it brings)
 * is loaded by `load` only when a baseline is restored or saved. The caller writes the import() —
 * `() => import('@actions/cache')` — so only its bundle gets the chunk: an import() in this shared
 * module would make esbuild keep that chunk's code live in every action's shared chunks.
 */
export function actionsCacheBackend(load: () => Promise<ActionsCache>): CacheBackend {
  return {
    restore: async (path, prefix) => {
      const cache = await load();
      if (!cache.isFeatureAvailable()) return undefined;
      return cache.restoreCache([path], prefix, [prefix]);
    },
    save: async (path, key) => {
      const cache = await load();
      if (!cache.isFeatureAvailable())
        throw new Error('the Actions cache service is not available to this job');
      await cache.saveCache([path], key);
    },
  };
}

/** A directory of files named by key (newest written wins), for tests and runs outside GitHub. */
export function directoryCacheBackend(dir: string): CacheBackend {
  return {
    restore: async (path, prefix) => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return undefined;
      }
      const entries = await Promise.all(
        names
          .filter((name) => decodeURIComponent(name).startsWith(prefix))
          .map(async (name) => ({ name, mtime: (await stat(join(dir, name))).mtimeMs })),
      );
      entries.sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name));
      const newest = entries.at(-1);
      if (newest === undefined) return undefined;
      await mkdir(dirname(path), { recursive: true });
      await copyFile(join(dir, newest.name), path);
      return decodeURIComponent(newest.name);
    },
    save: async (path, key) => {
      await mkdir(dir, { recursive: true });
      await copyFile(path, join(dir, encodeURIComponent(key)));
    },
  };
}

/** Cache keys of a baseline: restore by prefix, save under the prefix plus this run. */
export function baselineCacheKeys(
  baselineKey: string,
  run: { readonly runId: string; readonly runAttempt: number },
): { prefix: string; save: string } {
  if (!STEP_ID_PATTERN.test(baselineKey))
    throw new SathosError(
      'USAGE',
      `input "baseline-key" is "${baselineKey}"; use letters, digits, ".", "_" and "-" (at most 128)`,
    );
  // `/` cannot occur in a key, so the prefix of `build` never matches the entries of `build-2`.
  const prefix = `sathos-baseline-v1/${baselineKey}/`;
  return { prefix, save: `${prefix}${run.runId}-${run.runAttempt}` };
}

/** Restores the baseline file; a cache that cannot be read is a miss with a reason, not a failure. */
export async function restoreBaselineFile(
  backend: CacheBackend,
  path: string,
  prefix: string,
): Promise<{ key?: string; note?: string }> {
  try {
    const key = await backend.restore(path, prefix);
    return key === undefined ? {} : { key };
  } catch (error) {
    return { note: `the baseline cache could not be read (${describeCause(error)})` };
  }
}

/** Saves the baseline file under the run's key; a failure says why (the step's result stands). */
export async function saveBaselineFile(
  backend: CacheBackend,
  path: string,
  key: string,
): Promise<string | undefined> {
  try {
    await backend.save(path, key);
    return undefined;
  } catch (error) {
    return `the baseline was not saved to the cache (${describeCause(error)})`;
  }
}
