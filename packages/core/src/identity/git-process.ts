// Runs one git process with bounded output and time: the only place commit verification touches the
// operating system. Output beyond the limit or a process that outlives its deadline is killed.
import { spawn } from 'node:child_process';
import { SathosError } from '../errors.js';

/** One git call may print at most this much (1,000 commits of the largest allowed size fit). */
export const MAX_GIT_OUTPUT_BYTES = 1024 * 1024 * 1024;
/** One git call may take at most this long. */
export const GIT_TIMEOUT_MS = 120_000;

export interface GitCall {
  readonly dir: string;
  readonly args: readonly string[];
  readonly input?: string;
  /** Called with each chunk of stdout; throwing stops git and fails the call with that error. */
  readonly onData?: (chunk: Buffer) => void;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

export interface GitResult {
  readonly code: number;
  /** Stdout, unless `onData` consumed it. */
  readonly stdout: Buffer;
  readonly stderr: string;
}

function gitFailed(call: GitCall, message: string, cause?: unknown): SathosError {
  return new SathosError('GIT_FAILED', message, {
    where: `git ${call.args[0] ?? ''} in ${call.dir}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Runs `git --no-replace-objects -C dir args…`; resolves with its exit code, rejects on spawn failure, limits or onData errors. */
export function runGit(call: GitCall): Promise<GitResult> {
  const maxBytes = call.maxBytes ?? MAX_GIT_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    // Replace refs would let git hand back another object under a commit's id (and walk its parents).
    const child = spawn('git', ['--no-replace-objects', '-C', call.dir, ...call.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.stdin.on('error', () => undefined);
    child.stdin.end(call.input ?? '');
  });
}

/** The first line git wrote to stderr, for messages. */
export function firstLine(stderr: string): string {
  return stderr.split('\n', 1)[0]?.trim() ?? '';
}
