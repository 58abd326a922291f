// `sathos guard`: runs one command under the anomaly layer's supervisor. Every connection is decided
// against the policy's allowedHosts and the step's baseline before it opens; the step is halted past
// its deadline under `halt`; the run can teach the baseline when it succeeded and nothing was refused
// (docs/anomaly.md). Exits with the command's status, or 1 when it was halted.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import {
  ANOMALY_MODES,
  BASELINE_LIMITS,
  SathosError,
  STEP_ID_PATTERN,
  anomalyObservation,
  anomalySettings,
  egressDecider,
  emptyBaseline,
  learnRun,
  parseBaseline,
  planStep,
  serializeBaseline,
  type AnomalyMode,
  type AnomalyObservation,
  type Baseline,
  type ErrorCode,
  type LearnResult,
  type StepPlan,
} from '@sathos/core';
import {
  abortOnSignals,
  exitStatusOf,
  supervise,
  supervisedRun,
  supervisionReportFields,
  type SupervisionReport,
} from '@sathos/guard';
import type { Outcome } from '../outcome.js';
import { failure } from '../outcome.js';
import { readInput } from '../inputs.js';
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

interface LoadedBaseline {
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
async function loadBaseline(o: GuardOptions): Promise<LoadedBaseline> {
  const step = o.step;
  if (step !== undefined && !STEP_ID_PATTERN.test(step))
    throw usage(`--step ${JSON.stringify(step)} must be letters, digits, ".", "_" or "-" (≤ 128)`);
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

/** Writes beside the target, then renames over it: a reader sees the old file or the new one. */
async function writeAtomically(path: string, text: string | Uint8Array): Promise<void> {
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
async function keepBaseline(o: GuardOptions, loaded: LoadedBaseline): Promise<void> {
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

/** Everything `--report` writes: the command, every decision, the timing, the sandbox, the findings. */
export function guardReport(input: {
  readonly command: readonly string[];
  readonly plan: StepPlan;
  readonly report: SupervisionReport;
  readonly status: number;
  readonly observation: AnomalyObservation;
  readonly learned?: LearnResult;
}): Record<string, unknown> {
  return {
    ...supervisionReportFields(input),
    ...(input.learned === undefined
      ? {}
      : {
          baselineRecorded: input.learned.learned,
          ...(input.learned.learned ? {} : { baselineNotRecorded: input.learned.reason }),
        }),
  };
}

function summaryLine(status: number, report: SupervisionReport, obs: AnomalyObservation): string {
  const c = obs.connections;
  const ending =
    report.halted !== undefined
      ? `halted (${report.halted.reason})`
      : `exited with ${status} in ${Math.round(report.durationMs)} ms`;
  return `guard: the step ${ending}; connections: ${c.allowed} allowed, ${c.audited} audited, ${c.blocked} blocked, ${c.halted} halting; sandbox ${report.sandbox}`;
}

function outcomeOf(
  status: number,
  report: SupervisionReport,
  observation: AnomalyObservation,
  details: Record<string, unknown>,
  notes: readonly string[],
): Outcome {
  const halted = report.halted !== undefined;
  const code: ErrorCode | 'OK' = halted ? 'STEP_HALTED' : status === 0 ? 'OK' : 'COMMAND_FAILED';
  const reason = summaryLine(status, report, observation);
  const lines = [
    reason,
    ...observation.findings.map((f) => `guard: ${f.kind}: ${f.reason}`),
    ...notes.map((n) => `guard: ${n}`),
  ];
  return {
    exitCode: status === 0 ? 0 : 1,
    status,
    json: {
      allowed: !halted && status === 0,
      code,
      reason,
      status,
      halted,
      durationMs: Math.round(report.durationMs),
      sandbox: report.sandbox,
      findings: observation.findings,
      ...details,
    },
    lines,
  };
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
  try {
    checkFlags(o);
    await checkOutputDirs(o);
    await checkCommandFound(o.command);
    const mode = modeOf(o.mode);
    const maxMs = maxDurationMs(o.maxDuration);
    const sandbox = sandboxOf(o.sandbox);
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
    const plan = planStep(settings, loaded.baseline, maxMs);
    const aborts = abortOnSignals();
    const report = await supervise({
      command: o.command,
      args: o.args ?? [],
      decide: egressDecider(plan),
      ...(plan.deadline === undefined ? {} : { deadlineMs: plan.deadline.ms }),
      graceMs: GRACE_MS,
      sandbox,
      // With --json, stdout holds only the JSON object: the command's output goes to stderr.
      output: o.json === true ? { stdout: process.stderr, stderr: process.stderr } : 'inherit',
      signal: aborts.signal,
    }).finally(aborts.dispose);
    await keepBaseline(o, loaded);
    return await finish(o, plan, loaded, report);
  } catch (error) {
    return failure('allowed', error);
  }
}

async function finish(
  o: GuardOptions,
  plan: StepPlan,
  loaded: LoadedBaseline,
  report: SupervisionReport,
): Promise<Outcome> {
  const status = exitStatusOf(report);
  const run = supervisedRun(report);
  const observation = anomalyObservation(plan, run, loaded.digest);
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
