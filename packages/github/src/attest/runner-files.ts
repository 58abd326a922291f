// The runner's file commands (GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STATE and the step
// summary) while the `run:` command runs. Withholding their variables is not enough: the files sit
// in $RUNNER_TEMP/_runner_file_commands/, which the command can list, and a line it appends to
// set_env_* becomes the environment of the job's later steps (NODE_OPTIONS=--require … runs its code
// inside the next attest step, which holds the signing identity). So each file is kept as it was
// before the command and put back after it; a command that touched one fails the step.
import { lstat, readFile, rm, writeFile } from 'node:fs/promises';
import { SathosError } from '@sathos/core';

/** The variables naming the runner's files for the current step. */
export const RUNNER_FILE_VARIABLES = [
  'GITHUB_OUTPUT',
  'GITHUB_STEP_SUMMARY',
  'GITHUB_STATE',
  'GITHUB_ENV',
  'GITHUB_PATH',
] as const;

/** What is kept of one file: its bytes, or null when it did not exist. */
const MAX_KEPT_BYTES = 16 * 1024 * 1024;

interface Kept {
  readonly variable: string;
  readonly path: string;
  readonly bytes: Buffer | null;
}

async function current(path: string): Promise<Buffer | null | 'other'> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat === undefined) return null;
  // A symlink or anything but a plain file in its place is a change (and must not be written through).
  if (!stat.isFile()) return 'other';
  if (stat.size > MAX_KEPT_BYTES) return 'other';
  return readFile(path);
}

async function keep(env: Readonly<Record<string, string | undefined>>): Promise<Kept[]> {
  const kept: Kept[] = [];
  for (const variable of RUNNER_FILE_VARIABLES) {
    const path = env[variable];
    if (path === undefined || path === '') continue;
    const bytes = await current(path);
    if (bytes === 'other')
      throw new SathosError(
        'USAGE',
        `the runner's ${variable} file is not a plain file of at most ${MAX_KEPT_BYTES} bytes; refusing to run the command beside it`,
        { where: path },
      );
    kept.push({ variable, path, bytes });
  }
  return kept;
}

/** Puts each file back as kept; the variables of those that had changed. */
async function putBack(kept: readonly Kept[]): Promise<string[]> {
  const changed: string[] = [];
  for (const { variable, path, bytes } of kept) {
    const now = await current(path);
    const same =
      now !== 'other' && (now === null ? bytes === null : bytes !== null && now.equals(bytes));
    if (same) continue;
    changed.push(variable);
    // Removed first: whatever the command put there (a symlink) is never written through.
    await rm(path, { force: true, recursive: true });
    if (bytes !== null) await writeFile(path, bytes, { flag: 'wx' });
  }
  return changed;
}

/**
 * Runs `command` (the supervised `run:` script, whose whole process tree has ended when it
 * resolves) with the runner's files of this step kept as they were; throws COMMAND_FAILED, after
 * restoring them, when the command changed any.
 */
export async function withRunnerFilesKept<T>(
  env: Readonly<Record<string, string | undefined>>,
  command: () => Promise<T>,
): Promise<T> {
  const kept = await keep(env);
  let outcome:
    { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };
  try {
    outcome = { ok: true, value: await command() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const changed = await putBack(kept);
  if (!outcome.ok) throw outcome.error;
  if (changed.length > 0)
    throw new SathosError(
      'COMMAND_FAILED',
      `the "run" command wrote to the runner's ${changed.join(', ')} file(s), through which it could set this action's outputs or the environment of the job's later steps; they were put back as they were and the step fails`,
    );
  return outcome.value;
}
