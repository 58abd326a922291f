// The guard action's baseline: restored from the Actions cache (a corrupt one fails the step),
// else seeded from the API's job timings, else fresh; and taught only by a run that earned it (the
// supervisor saw nothing refused, and vouch.ts found its chain verified and allowed), then saved.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import {
  BASELINE_LIMITS,
  SathosError,
  describeCause,
  emptyBaseline,
  isSathosError,
  learnRun,
  parseBaseline,
  serializeBaseline,
  withRuns,
  type Baseline,
  type LearnResult,
  type Policy,
  type SupervisedRun,
} from '@sathos/core';
import {
  MAX_EVENT_BYTES,
  baselineCacheKeys,
  readInputFile,
  restoreBaselineFile,
  saveBaselineFile,
  seedRunsFromGitHub,
  workflowFileOf,
  type GitHubApi,
  type RunContext,
} from '@sathos/github';
import type { SupervisionReport } from '@sathos/guard';
import type { GuardInputs } from './inputs.js';
import type { Runtime } from './main.js';
import { vouchForRun } from './vouch.js';

export interface LoadedBaseline {
  readonly baseline: Baseline;
  readonly digest?: string;
  readonly notes: readonly string[];
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The repository's default branch, from the event payload; seeding reads only its runs. */
async function defaultBranch(context: RunContext): Promise<string | undefined> {
  if (context.eventPath === undefined) return undefined;
  try {
    const payload = JSON.parse(
      await readInputFile(context.eventPath, 'GITHUB_EVENT_PATH', MAX_EVENT_BYTES),
    ) as { repository?: { default_branch?: unknown } } | null;
    const branch = payload?.repository?.default_branch;
    return typeof branch === 'string' && /^[A-Za-z0-9._/-]{1,255}$/.test(branch)
      ? branch
      : undefined;
  } catch {
    return undefined;
  }
}

async function seedBaseline(
  inputs: GuardInputs,
  context: RunContext,
  api: GitHubApi,
  baseline: Baseline,
): Promise<{ baseline: Baseline; note: string }> {
  const seed = inputs.seed;
  const workflow = workflowFileOf(context.workflowRef);
  const branch = await defaultBranch(context);
  if (seed === undefined || workflow === undefined || branch === undefined)
    return { baseline, note: 'no baseline was seeded: the workflow or default branch is unknown' };
  try {
    const runs = await seedRunsFromGitHub(api, {
      repository: context.repository,
      workflow,
      branch,
      job: seed.job,
      ...(seed.step === undefined ? {} : { step: seed.step }),
      runs: BASELINE_LIMITS.maxRuns,
    });
    return {
      baseline: withRuns(baseline, runs),
      note: `seeded ${runs.length} durations from ${workflow} runs on ${branch}`,
    };
  } catch (error) {
    return {
      baseline,
      note: `no baseline was seeded (${isSathosError(error) ? `${error.code}: ${error.line}` : describeCause(error)})`,
    };
  }
}

/** The baseline from the cache (a corrupt one fails the step), else seeded, else fresh. */
export async function loadBaseline(
  inputs: GuardInputs,
  context: RunContext,
  api: GitHubApi,
  runtime: Runtime,
  path: string,
): Promise<LoadedBaseline> {
  const key = inputs.baselineKey;
  if (key === undefined) return { baseline: emptyBaseline('default'), notes: [] };
  const { prefix } = baselineCacheKeys(key, context);
  const restored = await restoreBaselineFile(runtime.cache, path, prefix);
  const notes = restored.note === undefined ? [] : [restored.note];
  if (restored.key !== undefined && (await fileExists(path))) {
    const bytes = await readFile(path);
    const baseline = parseBaseline(bytes, `cache entry ${restored.key}`);
    if (baseline.step !== key)
      throw new SathosError(
        'BASELINE_INVALID',
        `the cached baseline is of step "${baseline.step}", not "${key}"; change the baseline key`,
        { where: restored.key },
      );
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return { baseline, digest, notes: [...notes, `baseline restored from ${restored.key}`] };
  }
  const fresh = emptyBaseline(key);
  if (inputs.seed === undefined) return { baseline: fresh, notes: [...notes, 'no baseline yet'] };
  const seeded = await seedBaseline(inputs, context, api, fresh);
  return { baseline: seeded.baseline, notes: [...notes, seeded.note] };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { flag: 'wx' });
  await rename(temporary, path);
}

/**
 * What the chain file held (`sha256:<hex>`, or `absent`): taken before the command runs and again
 * after the chain is vouched for, so a command that rewrote the chain (dropping the record its
 * policy denied) cannot have the run vouched for by a chain it made.
 */
export async function chainFingerprint(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    return `unreadable: ${(error as Error).message}`;
  }
  return `sha256:${hash.digest('hex')}`;
}

export interface Learning {
  readonly result?: LearnResult;
  readonly note?: string;
}

/** Teaches and saves the baseline when the run earned it; says why not otherwise. */
export async function learn(
  inputs: GuardInputs,
  context: RunContext,
  runtime: Runtime,
  policy: Policy | undefined,
  loaded: LoadedBaseline,
  run: SupervisedRun,
  report: SupervisionReport,
  path: string,
  /** chainFingerprint of the chain before the command ran. */
  chainBefore: string | undefined,
): Promise<Learning> {
  if (!inputs.recordBaseline || inputs.baselineKey === undefined || policy === undefined) return {};
  const vouched = await vouchForRun({
    policy,
    chainPath: inputs.chain,
    ...(inputs.trustedRoot === undefined ? {} : { trustedRoot: inputs.trustedRoot }),
    publicKeys: inputs.publicKeys,
    context,
  });
  const refusal =
    vouched ??
    (chainBefore !== undefined && chainBefore === (await chainFingerprint(inputs.chain))
      ? undefined
      : 'the chain file changed while the step ran: the chain it held before is not the one vouched for');
  const result = learnRun(loaded.baseline, {
    ...run,
    at: runtime.now(),
    decisionsDropped: report.droppedDecisions,
    trusted: refusal === undefined,
  });
  if (!result.learned)
    return { result, note: `the baseline did not learn this run: ${refusal ?? result.reason}` };
  await writeAtomically(path, serializeBaseline(result.baseline));
  const key = baselineCacheKeys(inputs.baselineKey, context).save;
  const failed = await saveBaselineFile(runtime.cache, path, key);
  return {
    result,
    note:
      failed ??
      `the baseline learned this run (${result.baseline.runs.length} runs), saved as ${key}`,
  };
}
