// `sathos guard`'s baseline file: read (a missing file is a fresh baseline, a bad one an error),
// kept as read while the command runs (it could rewrite its own history), and written atomically.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  SathosError,
  STEP_ID_PATTERN,
  emptyBaseline,
  parseBaseline,
  type Baseline,
} from '@sathos/core';
import { readInput } from '../inputs.js';

/** What the baseline code needs of the command's options. */
export interface BaselineOptions {
  readonly baseline?: string;
  readonly step?: string;
}

export interface LoadedBaseline {
  readonly baseline: Baseline;
  /** `sha256:<hex>` of the file read; absent when there was no file yet. */
  readonly digest?: string;
  /** The file's bytes as read, to put back if the command rewrites it. */
  readonly bytes?: Uint8Array;
}

const sha256 = (bytes: Uint8Array): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A missing file is a fresh baseline; one that cannot be read or parsed is a usage error. */
export async function loadBaseline(o: BaselineOptions): Promise<LoadedBaseline> {
  const step = o.step;
  if (step !== undefined && !STEP_ID_PATTERN.test(step))
    throw new SathosError(
      'USAGE',
      `--step ${JSON.stringify(step)} must be letters, digits, ".", "_" or "-" (≤ 128)`,
    );
  if (o.baseline === undefined || !(await exists(o.baseline)))
    return { baseline: emptyBaseline(step ?? 'default') };
  const bytes = await readInput(o.baseline, 'baseline');
  const baseline = parseBaseline(bytes, o.baseline);
  if (step !== undefined && baseline.step !== step)
    throw new SathosError(
      'BASELINE_INVALID',
      `the baseline is of step "${baseline.step}", not "${step}"; name the right --baseline or --step`,
      { where: o.baseline },
    );
  return { baseline, digest: sha256(bytes), bytes };
}

/** Writes beside the target, then renames over it: a reader sees the old file or the new one. */
export async function writeAtomically(path: string, text: string | Uint8Array): Promise<void> {
  // A fresh random name, created exclusively: a planted file or symlink there is never written through.
  const temporary = join(dirname(path), `.${randomBytes(8).toString('hex')}.sathos-tmp`);
  try {
    await writeFile(temporary, text, { mode: 0o644, flag: 'wx' });
    await rename(temporary, path);
  } catch (cause) {
    await rm(temporary, { force: true });
    throw new SathosError('STORE_FAILED', 'cannot write the file; check the directory', {
      where: path,
      cause,
    });
  }
}

// What the baseline path holds now: the digest of a regular file, `absent`, or `other`.
async function baselineState(path: string): Promise<string> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return 'absent';
  if (!info.isFile()) return 'other';
  return sha256(await readFile(path));
}

/**
 * The command runs with its user's file rights, so it could rewrite its own baseline to widen the
 * next run (hosts it never reached, a longer deadline): a baseline that changed while it ran is put
 * back as it was read, and the run fails.
 */
export async function keepBaseline(o: BaselineOptions, loaded: LoadedBaseline): Promise<void> {
  if (o.baseline === undefined) return;
  if ((await baselineState(o.baseline)) === (loaded.digest ?? 'absent')) return;
  if (loaded.bytes === undefined) await rm(o.baseline, { force: true });
  else await writeAtomically(o.baseline, loaded.bytes);
  throw new SathosError(
    'BASELINE_TAMPERED',
    'the command rewrote its baseline file while it ran; it was put back as read and nothing was learned: find what in the command writes it',
    { where: o.baseline },
  );
}
