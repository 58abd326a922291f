// The step's command writes to the same log as the action that runs it, and GitHub's runner reads
// workflow commands (`::set-output`, `::add-mask::`, `::stop-commands::`, annotations) from every
// line of that log as the action's own. A supervised command could set this action's outputs or
// silence its later ::error:: lines. So the action stops command processing for exactly the span of
// the command's output, with a token the command cannot know, and resumes it after the command and
// every process it started are gone.
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { CommandRunner } from './attest/command.js';

/** Writes a whole line to the log; synchronous, so it is in the pipe before the command starts. */
export type LogWrite = (line: string) => void;

const stdoutLine: LogWrite = (line) => {
  writeSync(1, `${line}\n`);
};

/**
 * Runs `body` with the runner's workflow commands off: `::stop-commands::<token>` before it,
 * `::<token>::` on a line of its own after it settles (also when it throws). The token is 128
 * random bits, fresh per call, and never in the command's environment or arguments.
 */
export async function withWorkflowCommandsStopped<T>(
  body: () => Promise<T>,
  write: LogWrite = stdoutLine,
): Promise<T> {
  const token = `sathos-${randomBytes(16).toString('hex')}`;
  write(`::stop-commands::${token}`);
  try {
    return await body();
  } finally {
    // The command shares fd 1 and its last line need not end: the runner reads a command only at
    // the start of a line, so the token glued to that line would never resume and every later
    // ::error:: of the action would be dropped. An empty line ends any such line first.
    write('');
    write(`::${token}::`);
  }
}

/** A CommandRunner whose command's output cannot issue workflow commands as the action. */
export function commandsStopped(
  runner: CommandRunner,
  write: LogWrite = stdoutLine,
): CommandRunner {
  return (script, cwd, env, policy) =>
    withWorkflowCommandsStopped(() => runner(script, cwd, env, policy), write);
}
