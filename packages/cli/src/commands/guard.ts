// `sathos guard`: runs one command under the anomaly layer's supervisor. Every connection is decided
// against the policy's allowedHosts and the step's baseline before it opens; the step is halted past
// its deadline under `halt`; the run can teach the baseline when it succeeded and nothing was refused
// (docs/anomaly.md). Exits with the command's status, or 1 when it was halted.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import {
  ANOMALY_MODES,
  BASELINE_LIMITS,
  SathosError,
  anomalySettings,
  learnRun,
  serializeBaseline,
  type AnomalyMode,
  type LearnResult,
} from '@sathos/core';
import {
  abortOnSignals,
  prepareSandbox,
  superviseStep,
  supervisedRun,
  type PreparedSandbox,
  type SupervisedStep,
} from '@sathos/guard';
import type { Outcome } from '../outcome.js';
import { failure } from '../outcome.js';
import {
  keepBaseline,
  loadBaseline,
  writeAtomically,
  type LoadedBaseline,
} from './guard-baseline.js';
import { guardReport, outcomeOf } from './guard-outcome.js';
import { loadPolicy } from './policy-load.js';

/** The supervisor's report as the pure layer reads it (shared with actions/guard). */
export { supervisedRun };

export const SANDBOX_CHOICES = ['auto', 'netns', 'iptables', 'proxy-env'] as const;

export interface GuardOptions {
  readonly command: string;
  readonly args?: readonly string[];
  readonly allowHost?: readonly string[];
  readonly mode?: string;
  /** Seconds, as typed. */
  readonly maxDuration?: string;
  readonly baseline?: string;
  readonly recordBaseline?: boolean;
  readonly policy?: string;
  readonly policyDigest?: string;
  readonly step?: string;
  readonly report?: string;
  readonly sandbox?: string;
  readonly json?: boolean;
}

/** Between SIGTERM and SIGKILL when a step is halted. */
const GRACE_MS = 3000;

function usage(message: string): SathosError {
  return new SathosError('USAGE', message);
}

function modeOf(text: string | undefined): AnomalyMode | undefined {
  if (text === undefined) return undefined;
  const mode = ANOMALY_MODES.find((m) => m === text);
  if (mode === undefined)
    throw usage(`--mode ${JSON.stringify(text)} must be one of ${ANOMALY_MODES.join(', ')}`);
  return mode;
}

/** `--max-duration <seconds>`: a positive number of seconds, at most a week, as whole ms. */
export function maxDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  const ms = Math.ceil(seconds * 1000);
  if (!Number.isFinite(ms) || ms < 1 || ms > BASELINE_LIMITS.maxDurationMs)
    throw usage(
      `--max-duration ${JSON.stringify(text)} must be a number of seconds above 0 and at most ${BASELINE_LIMITS.maxDurationMs / 1000}`,
    );
  return ms;
}

function sandboxOf(text: string | undefined): (typeof SANDBOX_CHOICES)[number] {
  if (text === undefined) return 'auto';
  const choice = SANDBOX_CHOICES.find((c) => c === text);
  if (choice === undefined)
    throw usage(`--sandbox ${JSON.stringify(text)} must be one of ${SANDBOX_CHOICES.join(', ')}`);
  return choice;
}

function checkFlags(o: GuardOptions): void {
  if (o.command === '') throw usage('name the command to run after --, e.g. sathos guard -- make');
  if (o.recordBaseline === true && o.baseline === undefined)
    throw usage('--record-baseline needs --baseline <file> to record into');
  if (o.policyDigest !== undefined && o.policy === undefined)
    throw usage('--policy-digest applies to --policy; name one');
}

/** The files written after the command ran go in directories that exist: checked before it runs. */
async function checkOutputDirs(o: GuardOptions): Promise<void> {
  const outputs = [
    ...(o.recordBaseline === true && o.baseline !== undefined ? [['--baseline', o.baseline]] : []),
    ...(o.report === undefined ? [] : [['--report', o.report]]),
  ];
  for (const [flag, path] of outputs) {
    const dir = dirname(path ?? '');
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw usage(
        `${flag} ${JSON.stringify(path)}: the directory ${dir} does not exist; create it`,
      );
  }
}

/** `sathos guard … -- <command> [args…]`. */
async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command must be an executable file: a path, or a name found on PATH. Checked before anything
 * starts, so a typo is one usage error (and, with --json, one object) rather than a sandbox brought
 * up for a spawn that fails with its own line on stderr.
 */
async function checkCommandFound(command: string): Promise<void> {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command));
  for (const path of candidates) if (await isExecutableFile(path)) return;
  throw usage(
    `command not found: ${JSON.stringify(command)} is not an executable file${command.includes('/') ? '' : ' on PATH'}; check the name after --`,
  );
}

export async function guardCommand(o: GuardOptions): Promise<Outcome> {
  let prepared: PreparedSandbox | undefined;
  try {
    checkFlags(o);
    await checkOutputDirs(o);
    await checkCommandFound(o.command);
    const mode = modeOf(o.mode);
    const maxMs = maxDurationMs(o.maxDuration);
    // The sandbox's init boots while the policy and the baseline are read.
    prepared = prepareSandbox(
      sandboxOf(o.sandbox),
      // With --json, stdout holds only the JSON object: the command's output goes to stderr.
      o.json === true ? { stdout: process.stderr, stderr: process.stderr } : 'inherit',
    );
    const policy =
      o.policy === undefined
        ? undefined
        : await loadPolicy(
            o.policy,
            o.policyDigest === undefined ? {} : { policyDigest: o.policyDigest },
          );
    const settings = anomalySettings(
      policy === undefined ? undefined : (policy.anomaly ?? { allowedHosts: [] }),
      {
        ...(mode === undefined ? {} : { mode }),
        ...(o.allowHost === undefined ? {} : { allowHosts: o.allowHost }),
      },
      o.policy ?? '--allow-host',
    );
    const loaded = await loadBaseline(o);
    const aborts = abortOnSignals();
    const supervised = await superviseStep({
      command: o.command,
      args: o.args ?? [],
      settings,
      baseline: loaded.baseline,
      ...(loaded.digest === undefined ? {} : { baselineDigest: loaded.digest }),
      ...(maxMs === undefined ? {} : { maxDurationMs: maxMs }),
      graceMs: GRACE_MS,
      prepared,
      signal: aborts.signal,
    }).finally(aborts.dispose);
    await keepBaseline(o, loaded);
    return await finish(o, loaded, supervised);
  } catch (error) {
    return failure('allowed', error);
  } finally {
    // A failure before the step ran leaves an init waiting: end it (a no-op once supervise took it).
    await prepared?.dispose();
  }
}

async function finish(
  o: GuardOptions,
  loaded: LoadedBaseline,
  supervised: SupervisedStep,
): Promise<Outcome> {
  const { plan, report, run, exitCode: status } = supervised;
  const observation = supervised.observations.anomaly;
  const notes: string[] = [];
  let learned: LearnResult | undefined;
  if (o.recordBaseline === true && o.baseline !== undefined) {
    learned = learnRun(loaded.baseline, {
      ...run,
      at: Date.now(),
      decisionsDropped: report.droppedDecisions,
    });
    if (learned.learned) {
      await writeAtomically(o.baseline, serializeBaseline(learned.baseline));
      notes.push(`recorded this run in ${o.baseline} (${learned.baseline.runs.length} runs)`);
    } else notes.push(`this run was not recorded in the baseline: ${learned.reason}`);
  }
  const full = guardReport({
    command: [o.command, ...(o.args ?? [])],
    plan,
    report,
    status,
    observation,
    ...(learned === undefined ? {} : { learned }),
  });
  if (o.report !== undefined) await writeAtomically(o.report, `${JSON.stringify(full, null, 2)}\n`);
  return outcomeOf(
    status,
    report,
    observation,
    {
      anomaly: observation,
      ...(o.report === undefined ? {} : { report: o.report }),
      ...(learned === undefined ? {} : { baselineRecorded: learned.learned }),
    },
    notes,
  );
}
