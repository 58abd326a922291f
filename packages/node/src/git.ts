// Git as a process: the GitRunner core's commit verification reads repositories through. Output and
// time are bounded here (the process is killed past either); the arguments and environment are core's
// (GIT_HARDENING, gitEnvironment), so every call has git's history substitutes switched off.
import { spawn } from 'node:child_process';
import {
  GIT_HARDENING,
  GIT_TIMEOUT_MS,
  MAX_GIT_OUTPUT_BYTES,
  SathosError,
  gitEnvironment,
  readGitRepository,
  type GitCall,
  type GitObjects,
  type GitResult,
  type GitRunner,
  type GitSession,
} from '@sathos/core';

function gitFailed(call: GitCall, message: string, cause?: unknown): SathosError {
  return new SathosError('GIT_FAILED', message, {
    where: `git ${call.args[0] ?? ''} in ${call.dir}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Starts `git <hardening> -C dir args…`; stdout goes to `onData` (or is collected), bounded in size and time. */
function startGit(call: Omit<GitCall, 'input'>): GitSession {
  const maxBytes = call.maxBytes ?? MAX_GIT_OUTPUT_BYTES;
  const child = spawn('git', [...GIT_HARDENING, '-C', call.dir, ...call.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: gitEnvironment(process.env),
    timeout: call.timeoutMs ?? GIT_TIMEOUT_MS,
  });
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  let size = 0;
  let failure: Error | undefined;
  const stop = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    child.kill('SIGKILL');
  };
  child.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      stop(new SathosError('TOO_LARGE', `git printed more than ${maxBytes} bytes; refusing`));
      return;
    }
    try {
      if (call.onData === undefined) chunks.push(chunk);
      else call.onData(chunk);
    } catch (error) {
      stop(error);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (errChunks.length < 64) errChunks.push(chunk);
  });
  child.stdin.on('error', () => undefined);
  const done = new Promise<GitResult>((resolve, reject) => {
    child.on('error', (error) => {
      failure ??= gitFailed(call, 'could not run git; install git and check --repo', error);
    });
    child.on('close', (code, signal) => {
      if (failure !== undefined) reject(failure);
      else if (signal !== null)
        reject(gitFailed(call, `git was stopped (${signal}): it took too long`));
      else {
        const stderr = Buffer.concat(errChunks).toString('utf8');
        resolve({ code: code ?? 1, stdout: Buffer.concat(chunks), stderr });
      }
    });
  });
  // Callers that only ever `end()` see the rejection there; never leave it unhandled meanwhile.
  done.catch(() => undefined);
  return {
    write: (text) => {
      if (!child.stdin.destroyed) child.stdin.write(text);
    },
    end: () => {
      child.stdin.end();
      return done;
    },
    kill: () => {
      stop(gitFailed(call, 'git was stopped'));
    },
    exited: done,
  };
}

/** Runs git as a child process of this one. */
export const gitProcess: GitRunner = { start: startGit };

/** The git repository (work tree or bare) at `dir`, read by git processes. */
export function openGitRepository(dir: string): GitObjects {
  return readGitRepository(dir, gitProcess);
}
