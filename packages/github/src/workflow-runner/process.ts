// One step's process: its output forwarded line by line to the run's log, `::error` workflow
// commands collected (none while `::stop-commands::` holds) (they say why a step failed), a deadline after which the process group is
// killed. The step's own exit status decides its outcome.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface StepProcess {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface ProcessResult {
  readonly exitCode: number;
  readonly timedOut: boolean;
  /** The messages of `::error …::message` lines, in order. */
  readonly errors: readonly string[];
}

/** At most this many error lines are kept per step. */
const MAX_ERRORS = 100;

function errorMessage(line: string): string | undefined {
  const match = /^::error(?: [^:]*)?::(.*)$/.exec(line);
  return match?.[1]?.replaceAll('%0A', ' ').replaceAll('%0D', '').replaceAll('%25', '%');
}

export function runProcess(step: StepProcess): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const errors: string[] = [];
    const child = spawn(step.command, [...step.args], {
      cwd: step.cwd,
      env: step.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, step.timeoutMs);
    // As GitHub's runner: `::stop-commands::<token>` turns command processing off for both
    // streams until `::<token>::` (what the SATHOS actions fence a step's command with).
    let stoppedBy: string | undefined;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        step.log(line);
        if (stoppedBy !== undefined) {
          if (line === `::${stoppedBy}::`) stoppedBy = undefined;
          return;
        }
        const stop = /^::stop-commands::(.+)$/.exec(line);
        if (stop !== null) {
          stoppedBy = stop[1];
          return;
        }
        const error = errorMessage(line);
        if (error !== undefined && errors.length < MAX_ERRORS) errors.push(error);
      });
    }
    const finish = (exitCode: number) => {
      clearTimeout(timer);
      resolve({ exitCode, timedOut, errors });
    };
    child.on('error', (error) => {
      errors.push(`the step could not start: ${error.message}`);
      finish(127);
    });
    child.on('close', (code, signal) => {
      finish(code ?? (signal === null ? 1 : 128));
    });
  });
}
