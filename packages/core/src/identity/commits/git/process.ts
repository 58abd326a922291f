// Runs git processes with bounded output and time: the only place commit verification touches the
// operating system. Output beyond the limit or a process that outlives its deadline is killed. Every
// call runs with git's history substitutes switched off (replace refs, grafts, commit-graph files,
// alternates named in the environment) — defence in depth only: the verifier hash-checks every object
// it reads and takes no fact about history from git.
import { spawn } from 'node:child_process';
import { SathosError } from '../../../errors.js';

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

/** A running git process fed on stdin while it runs (`cat-file --batch` answering one request at a time). */
export interface GitSession {
  write(text: string): void;
  /** Closes stdin and waits for git to exit. */
  end(): Promise<GitResult>;
  /** Stops git now (after a failure of the caller's own). */
  kill(): void;
  /** Settles when git exits: how it ended, or why it was stopped. */
  readonly exited: Promise<GitResult>;
}

/** Options that switch off git's history substitutes for this call. */
const HARDENING = [
  '--no-replace-objects',
  '-c',
  'core.useReplaceRefs=false',
  '-c',
  'core.commitGraph=false',
];

/**
 * The environment without any GIT_* variable a caller set (GIT_DIR, alternates, config injected by
 * env), and with every transport forbidden. A repository's own config can make it a partial clone
 * whose "promisor remote" git fetches a missing object from on its own (`cat-file` included), running
 * whatever that remote names: `core.sshCommand`, `remote.<name>.uploadpack`, an `ext::` command. The
 * verifier only reads local objects: GIT_ALLOW_PROTOCOL set empty allows no transport whatever the
 * repository's `protocol.*` config says, and GIT_NO_LAZY_FETCH (git 2.44+) stops the fetch earlier.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (!name.startsWith('GIT_') || name === 'GIT_EXEC_PATH') env[name] = value;
  }
  return {
    ...env,
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_GRAFT_FILE: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: '',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_NO_LAZY_FETCH: '1',
  };
}

function gitFailed(call: GitCall, message: string, cause?: unknown): SathosError {
  return new SathosError('GIT_FAILED', message, {
    where: `git ${call.args[0] ?? ''} in ${call.dir}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Starts `git <hardening> -C dir args…`; stdout goes to `onData` (or is collected), bounded in size and time. */
export function startGit(call: Omit<GitCall, 'input'>): GitSession {
  const maxBytes = call.maxBytes ?? MAX_GIT_OUTPUT_BYTES;
  const child = spawn('git', [...HARDENING, '-C', call.dir, ...call.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: gitEnvironment(),
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

/** Runs one git call to the end; resolves with its exit code, rejects on spawn failure, limits or onData errors. */
export function runGit(call: GitCall): Promise<GitResult> {
  const session = startGit(call);
  session.write(call.input ?? '');
  return session.end();
}

/** The first line git wrote to stderr, for messages. */
export function firstLine(stderr: string): string {
  return stderr.split('\n', 1)[0]?.trim() ?? '';
}
