// The `run:` input: the step's own command, executed as a workflow's `run:` step is (bash, errexit
// and pipefail, no profile), its output streamed to the log. Its exit status and duration become
// the record's observations; a command that fails fails the step before anything is signed.
// The actions hand in packages/guard's supervisor (superviseScript) as the CommandRunner, which adds
// the step's `anomaly` observation; runCommand is the bare runner it replaces.
import { spawn } from 'node:child_process';
import { SathosError, type Policy } from '@sathos/core';

export interface CommandOutcome {
  /** The command's exit status; a command killed by a signal reports 128 + the signal number. */
  readonly exitStatus: number;
  readonly signal?: string;
  readonly durationMs: number;
  /** Why the anomaly supervisor ended the command, when it did. */
  readonly halted?: string;
  /** More for the record: the supervisor's `anomaly` observation. */
  readonly observations?: Readonly<Record<string, unknown>>;
}

/** Runs a `run:` script; the policy's anomaly section judges a supervised one. */
export type CommandRunner = (
  script: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  policy?: Policy,
) => Promise<CommandOutcome>;

/** As GitHub's runner runs `shell: bash`. */
export const BASH_ARGS = ['--noprofile', '--norc', '-eo', 'pipefail', '-c'] as const;

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Variables the step's command never sees. The command is the untrusted part of the step: it gets
 * neither this action's inputs (the signing key is one), nor the means to mint the job's OIDC
 * token while this action signs, nor the runner's files through which it could set this action's
 * outputs, its summary or state, or the environment and PATH of the job's later steps (the next
 * attest step among them).
 */
const WITHHELD = [
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'GITHUB_OUTPUT',
  'GITHUB_STEP_SUMMARY',
  'GITHUB_STATE',
  'GITHUB_ENV',
  'GITHUB_PATH',
];

/** The environment the command runs with: the action's, minus its inputs and the WITHHELD. */
export function commandEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith('INPUT_') || WITHHELD.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Runs the script with bash in `cwd`; resolves with how it ended (never rejects for a failure). */
export function runCommand(
  script: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CommandOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [...BASH_ARGS, script], {
      cwd,
      env: commandEnvironment(env),
      stdio: 'inherit',
    });
    child.on('error', (cause) => {
      reject(
        new SathosError('USAGE', 'cannot start bash for input "run"; is bash on the PATH?', {
          cause,
        }),
      );
    });
    child.on('close', (code, signal) => {
      const durationMs = Math.round(performance.now() - started);
      if (signal !== null) {
        resolve({ exitStatus: 128 + (SIGNALS[signal] ?? 0), signal, durationMs });
      } else resolve({ exitStatus: code ?? 1, durationMs });
    });
  });
}

/** The outcome as the record's observations carry it. */
export function commandObservations(outcome: CommandOutcome): Record<string, unknown> {
  return {
    ...outcome.observations,
    command: {
      exitStatus: outcome.exitStatus,
      durationMs: outcome.durationMs,
      ...(outcome.signal === undefined ? {} : { signal: outcome.signal }),
    },
  };
}

/** Fails the step when the command failed: nothing is signed about a step that did not succeed. */
export function assertCommandSucceeded(outcome: CommandOutcome): void {
  if (outcome.exitStatus === 0) return;
  throw new SathosError(
    'COMMAND_FAILED',
    `the "run" command ${outcome.halted === undefined ? 'exited' : `was halted by the anomaly supervisor (${outcome.halted}) and exited`} ${outcome.exitStatus}${outcome.signal === undefined ? '' : ` (${outcome.signal})`} after ${outcome.durationMs} ms; nothing was signed and the chain is unchanged`,
  );
}
