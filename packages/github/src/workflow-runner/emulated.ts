// The first-party actions the runner does itself, as they behave on GitHub for what the workflow
// uses: actions/checkout (a clone of a repository the runner was given, at the named commit),
// actions/upload-artifact and actions/download-artifact (a directory per artifact name, shared by
// the jobs of one run), actions/setup-node (a check of the runner's node, setup-node.ts). Inputs
// these emulations do not honour are refused, not ignored.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SathosError, describeCause } from '@sathos/core';
import { setupNode } from './setup-node.js';

const run = promisify(execFile);

export interface JobDirectories {
  readonly workspace: string;
  readonly temp: string;
}

export interface EmulationContext {
  readonly dirs: JobDirectories;
  /** `owner/name` → a local git directory the runner may clone. */
  readonly repositories: Readonly<Record<string, string>>;
  /** The run's own repository and commit: checkout's defaults. */
  readonly repository: string;
  readonly sha: string;
  /** Where this run's artifacts live, one directory per name. */
  readonly artifactsDir: string;
}

const KNOWN_INPUTS: Record<string, readonly string[]> = {
  'actions/checkout': ['repository', 'ref', 'path', 'fetch-depth', 'persist-credentials'],
  'actions/upload-artifact': ['name', 'path', 'if-no-files-found', 'retention-days'],
  'actions/download-artifact': ['name', 'path'],
  'actions/setup-node': ['node-version', 'package-manager-cache'],
};
const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function failed(where: string, message: string): SathosError {
  return new SathosError('WORKFLOW_INVALID', message, { where });
}

/** A path the step named, resolved inside the job's workspace or temp directory, never outside. */
export function jobPath(dirs: JobDirectories, path: string, where: string): string {
  const full = isAbsolute(path) ? resolve(path) : resolve(dirs.workspace, path);
  const inside = [dirs.workspace, dirs.temp].some((root) => {
    const rel = relative(root, full);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
  if (!inside)
    throw failed(
      where,
      `${path} is outside the job's workspace and temp directory; use a path inside them`,
    );
  return full;
}

async function checkout(ctx: EmulationContext, w: Record<string, string>, where: string) {
  const repository = w.repository || ctx.repository;
  const source = ctx.repositories[repository];
  if (source === undefined)
    throw failed(
      where,
      `actions/checkout: the runner was given no repository ${repository}; pass it in \`repositories\``,
    );
  const ref = w.ref || (repository === ctx.repository ? ctx.sha : '');
  if (!/^[0-9a-f]{40}$/.test(ref))
    throw failed(
      where,
      `actions/checkout: ref must be a full commit sha here (got "${ref}"), so what runs is pinned`,
    );
  const dest = jobPath(ctx.dirs, w.path || '.', where);
  await mkdir(dest, { recursive: true });
  if ((await readdir(dest)).length > 0)
    throw failed(
      where,
      `actions/checkout: ${w.path || '.'} is not empty; check out into an empty path`,
    );
  try {
    await run('git', ['clone', '--quiet', '--shared', '--no-checkout', source, dest]);
    await run('git', [
      '-C',
      dest,
      '-c',
      'advice.detachedHead=false',
      'checkout',
      '--quiet',
      '--detach',
      ref,
    ]);
  } catch (cause) {
    throw failed(
      where,
      `actions/checkout of ${repository}@${ref} failed (${describeCause(cause)})`,
    );
  }
}

function artifactName(w: Record<string, string>, where: string): string {
  const name = w.name || 'artifact';
  if (!ARTIFACT_NAME.test(name)) throw failed(where, `artifact name "${name}" is not a plain name`);
  return name;
}

async function upload(ctx: EmulationContext, w: Record<string, string>, where: string) {
  const name = artifactName(w, where);
  const paths = (w.path ?? '')
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (paths.length !== 1 || /[*?[\]!]/.test(paths[0] ?? ''))
    throw failed(
      where,
      'actions/upload-artifact: give exactly one path, without wildcards (what the local runner emulates)',
    );
  const source = jobPath(ctx.dirs, paths[0] ?? '', where);
  const target = join(ctx.artifactsDir, name);
  const info = await stat(source).catch(() => undefined);
  if (info === undefined) {
    throw failed(
      where,
      `actions/upload-artifact: nothing at ${paths[0] ?? ''} to upload as ${name}`,
    );
  }
  try {
    await mkdir(target, { recursive: false });
  } catch {
    throw failed(
      where,
      `actions/upload-artifact: an artifact named ${name} already exists in this run`,
    );
  }
  await cp(source, info.isDirectory() ? target : join(target, basename(source)), {
    recursive: true,
    verbatimSymlinks: true,
  });
}

async function download(ctx: EmulationContext, w: Record<string, string>, where: string) {
  const name = artifactName(w, where);
  const source = join(ctx.artifactsDir, name);
  if ((await stat(source).catch(() => undefined)) === undefined)
    throw failed(where, `actions/download-artifact: no artifact named ${name} in this run`);
  const dest = jobPath(ctx.dirs, w.path || '.', where);
  await mkdir(dest, { recursive: true });
  await cp(source, dest, { recursive: true, verbatimSymlinks: true });
}

/** Runs an emulated action (`owner/name` without the ref) with its evaluated `with:`. */
export async function runEmulated(
  action: string,
  withs: Record<string, string>,
  ctx: EmulationContext,
  where: string,
  /** The PATH the step runs with (setup-node checks the node found there). */
  path = '',
): Promise<void> {
  const known = KNOWN_INPUTS[action] ?? [];
  const unknown = Object.keys(withs).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw failed(where, `${action}: input ${unknown} is not emulated by the local runner`);
  if (action === 'actions/checkout') return checkout(ctx, withs, where);
  if (action === 'actions/upload-artifact') return upload(ctx, withs, where);
  if (action === 'actions/setup-node') return setupNode(withs, path, where);
  return download(ctx, withs, where);
}
