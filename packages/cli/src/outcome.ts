// What every command returns: an exit code, the `--json` object and the human lines. Commands never
// print or exit themselves, so tests drive them in-process and the contract of docs/cli.md lives here.
// Not the @sathos/core barrel: what `sathos --help` loads stays apart from what commands load.
import { SathosError, describeCause, isSathosError } from '@sathos/core/errors';

export type ExitCode = 0 | 1 | 2;
export type Verdict = 'verified' | 'allowed';

export interface Outcome {
  readonly exitCode: ExitCode;
  /** Exactly the object printed by `--json`: `{verified|allowed, code, reason, ...details}`. */
  readonly json: Readonly<Record<string, unknown>>;
  /** What a person reads without `--json`. */
  readonly lines: readonly string[];
  /** The process's exit status when it is not the contract's code: sathos guard's command's own. */
  readonly status?: number;
}

export function success(
  verdict: Verdict,
  reason: string,
  details: Record<string, unknown> = {},
  lines: readonly string[] = [reason],
): Outcome {
  return { exitCode: 0, json: { [verdict]: true, code: 'OK', reason, ...details }, lines };
}

/** Any thrown value becomes a denial: exit 2 for unusable input, 1 for everything else. */
export function failure(
  verdict: Verdict,
  error: unknown,
  details: Record<string, unknown> = {},
): Outcome {
  if (isSathosError(error)) {
    const exitCode: ExitCode = error.isUsage ? 2 : 1;
    const json = { [verdict]: false, code: error.code, reason: error.line, ...details };
    return { exitCode, json, lines: [`error: ${error.line}`] };
  }
  // Not one of ours: still a denial, never a crash; the code says it was unexpected.
  const reason = `unexpected error: ${describeCause(error)}`;
  return {
    exitCode: 1,
    json: { [verdict]: false, code: 'INTERNAL_ERROR', reason, ...details },
    lines: [`error: ${reason}`],
  };
}

export function usage(verdict: Verdict, message: string): Outcome {
  return failure(verdict, new SathosError('USAGE', message));
}
