// The guard action's inputs as one typed value. Only index.ts calls readGuardInputs; run() never
// reads the environment for inputs.
import {
  ANOMALY_MODES,
  BASELINE_LIMITS,
  SathosError,
  STEP_ID_PATTERN,
  type AnomalyMode,
} from '@sathos/core';
import { getBooleanInput, getChoiceInput, getInput, getListInput, type Env } from '@sathos/github';

export const SANDBOXES = ['auto', 'netns', 'iptables', 'proxy-env'] as const;
export type SandboxInput = (typeof SANDBOXES)[number];

export interface GuardInputs {
  readonly run: string;
  readonly allowHosts: readonly string[];
  readonly mode?: AnomalyMode;
  readonly maxDurationMs?: number;
  readonly policy?: string;
  readonly chain: string;
  readonly trustedRoot?: string;
  readonly publicKeys: readonly string[];
  readonly githubToken?: string;
  readonly baselineKey?: string;
  readonly recordBaseline: boolean;
  readonly seed?: { readonly job: string; readonly step?: string };
  readonly sandbox: SandboxInput;
}

function maxDuration(env: Env): number | undefined {
  const text = getInput(env, 'max-duration');
  if (text === undefined) return undefined;
  const ms = /^\d+(?:\.\d+)?$/.test(text) ? Math.ceil(Number(text) * 1000) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > BASELINE_LIMITS.maxDurationMs)
    throw new SathosError(
      'USAGE',
      `input "max-duration" is "${text}"; give a number of seconds above 0 and at most ${BASELINE_LIMITS.maxDurationMs / 1000}`,
    );
  return ms;
}

function baselineKey(env: Env): string | undefined {
  const key = getInput(env, 'baseline-key');
  if (key !== undefined && !STEP_ID_PATTERN.test(key))
    throw new SathosError(
      'USAGE',
      `input "baseline-key" is "${key}"; use letters, digits, ".", "_" and "-" (at most 128)`,
    );
  return key;
}

function seed(env: Env): GuardInputs['seed'] {
  const job = getInput(env, 'seed-job');
  const step = getInput(env, 'seed-step');
  if (job === undefined) {
    if (step !== undefined)
      throw new SathosError('USAGE', 'input "seed-step" needs "seed-job": name the job it is in');
    return undefined;
  }
  return step === undefined ? { job } : { job, step };
}

/** Reads every input once, failing on the first unusable one with a message naming it. */
export function readGuardInputs(env: Env): GuardInputs {
  const run = getInput(env, 'run', { required: true }) ?? '';
  const modeText = getInput(env, 'mode');
  const mode =
    modeText === undefined ? undefined : getChoiceInput(env, 'mode', ANOMALY_MODES, 'block');
  const policy = getInput(env, 'policy');
  const allowHosts = getListInput(env, 'allow-hosts', true);
  const key = baselineKey(env);
  const recordBaseline = getBooleanInput(env, 'record-baseline', false);
  if (recordBaseline && (key === undefined || policy === undefined))
    throw new SathosError(
      'USAGE',
      'input "record-baseline" needs "baseline-key" (where to keep it) and "policy" (what vouches for the run)',
    );
  const maxMs = maxDuration(env);
  const trustedRoot = getInput(env, 'trusted-root');
  const githubToken = getInput(env, 'github-token');
  const seeding = seed(env);
  if (seeding !== undefined && key === undefined)
    throw new SathosError('USAGE', 'input "seed-job" needs "baseline-key": a baseline to seed');
  return {
    run,
    allowHosts,
    ...(mode === undefined ? {} : { mode }),
    ...(maxMs === undefined ? {} : { maxDurationMs: maxMs }),
    ...(policy === undefined ? {} : { policy }),
    chain: getInput(env, 'chain') ?? '.sathos/chain.jsonl',
    ...(trustedRoot === undefined ? {} : { trustedRoot }),
    publicKeys: getListInput(env, 'public-keys'),
    ...(githubToken === undefined ? {} : { githubToken }),
    ...(key === undefined ? {} : { baselineKey: key }),
    recordBaseline,
    ...(seeding === undefined ? {} : { seed: seeding }),
    sandbox: getChoiceInput(env, 'sandbox', SANDBOXES, 'auto'),
  };
}
