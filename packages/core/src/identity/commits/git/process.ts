// How commit verification runs git: the calls, their bounds, and the hardening every call gets.
// The process is started by a GitRunner handed in (@sathos/node spawns it), which kills output beyond
// the limit or a process that outlives its deadline. Every call runs with git's history substitutes
// switched off (replace refs, grafts, commit-graph files, alternates named in the environment) —
// defence in depth only: the verifier hash-checks every object it reads and takes no fact about
// history from git.

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
export const GIT_HARDENING: readonly string[] = [
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
export function gitEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
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

/** How core runs git: an adapter outside core (@sathos/node) starts the process. */
export interface GitRunner {
  /**
   * Starts `git GIT_HARDENING -C dir args…` with gitEnvironment(); stdout goes to `onData` (or is
   * collected), at most `maxBytes` (MAX_GIT_OUTPUT_BYTES) and `timeoutMs` (GIT_TIMEOUT_MS) long.
   */
  start(call: Omit<GitCall, 'input'>): GitSession;
}

/** Runs one git call to the end; resolves with its exit code, rejects on spawn failure, limits or onData errors. */
export function runGit(git: GitRunner, call: GitCall): Promise<GitResult> {
  const session = git.start(call);
  session.write(call.input ?? '');
  return session.end();
}

/** The first line git wrote to stderr, for messages. */
export function firstLine(stderr: string): string {
  return stderr.split('\n', 1)[0]?.trim() ?? '';
}
