// One error type for every layer: a closed set of codes, a one-line message that says what was
// wrong and what to do, the record or file it concerns, and the underlying cause.

/** Codes for inputs that were read and judged untrustworthy (CLI exit 1). */
export const REJECTION_CODES = [
  'MALFORMED_BUNDLE',
  'UNSUPPORTED_BUNDLE',
  'MALFORMED_STATEMENT',
  'SIGNATURE_INVALID',
  'CERTIFICATE_INVALID',
  'TLOG_INVALID',
  'TIMESTAMP_INVALID',
  'UNTRUSTED_SIGNER',
  'IDENTITY_MISMATCH',
  'SUBJECT_MISMATCH',
  'ENVIRONMENT_MISMATCH',
  'PREDICATE_MISMATCH',
  'TRUST_ROOT_REJECTED',
  'MALFORMED_CHAIN',
  'CHAIN_BROKEN',
  'DUPLICATE_RECORD',
  'RUN_MISMATCH',
  'GENESIS_INVALID',
  'CHAIN_CYCLE',
  'CHAIN_FORK',
  'ACTOR_MISMATCH',
  'STAGE_ORDER',
  'INCOMPLETE_CHAIN',
  'SUBJECT_DISCONTINUITY',
  'EVIDENCE_INVALID',
  'TOO_LARGE',
  'MALFORMED_COMMIT',
  'COMMIT_REJECTED',
  'RANGE_UNVERIFIABLE',
  'POLICY_DENIED',
  'POLICY_DIGEST_MISMATCH',
  /** sathos guard: the supervisor halted the command (its egress, its deadline, or itself). */
  'STEP_HALTED',
  /** sathos guard: the supervised command exited with a status other than 0 (passed through). */
  'COMMAND_FAILED',
  /** sathos guard: the supervised command rewrote its own baseline file (put back, run failed). */
  'BASELINE_TAMPERED',
  /** A registry served content (a manifest, a blob) whose digest is not the one asked for. */
  'CONTENT_MISMATCH',
] as const;

/** Codes for inputs that could not be used at all (CLI exit 2). */
export const USAGE_CODES = [
  'USAGE',
  'POLICY_INVALID',
  'FILE_UNREADABLE',
  'KEY_UNREADABLE',
  'TRUST_ROOT_UNREADABLE',
  'SIGNING_FAILED',
  'STORE_FAILED',
  'GIT_FAILED',
  'POLICY_INPUT_INVALID',
  'POLICY_UNAVAILABLE',
  'BASELINE_INVALID',
  'WORKFLOW_INVALID',
  /** A subject input (path, checksums file, digest, image reference) that names nothing usable. */
  'SUBJECT_INVALID',
  /** A JUnit, SARIF or SBOM report that is malformed, truncated, oversized or hostile (names the file). */
  'REPORT_INVALID',
  /** The supervisor's sandbox could not be set up (its iptables rules): the step did not run. */
  'SANDBOX_FAILED',
] as const;

export type RejectionCode = (typeof REJECTION_CODES)[number];
export type UsageCode = (typeof USAGE_CODES)[number];
export type ErrorCode = RejectionCode | UsageCode;

export interface SathosErrorOptions {
  /** The record, file or field the error is about, e.g. `chain.jsonl line 3` or `record sha256:ab12…`. */
  readonly where?: string;
  readonly cause?: unknown;
}

/** Unicode line and paragraph separators, and the bidirectional controls that reorder what follows. */
const FORMAT_CONTROLS = new Set([
  0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067,
  0x2068, 0x2069,
]);

/**
 * Line breaks and terminal control characters (C0 but tab, DEL, C1), and the format controls that
 * break a line or display text in another order than it has (`evil\u202Erat.exe` shows as `evilexe.tar`).
 */
export function isControl(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f) || FORMAT_CONTROLS.has(code)
  );
}

/**
 * Messages quote hostile input (a key type, a JSON parser's excerpt, a header line): its line breaks
 * and control characters are shown escaped, so a message stays one line and cannot write output of
 * its own (a forged verdict line, a `::` workflow command, a terminal escape).
 */
export function oneLine(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (!isControl(code)) continue;
    out += `${text.slice(from, i)}\\u${code.toString(16).padStart(4, '0')}`;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

export class SathosError extends Error {
  override readonly name = 'SathosError';
  readonly code: ErrorCode;
  readonly where: string | undefined;

  constructor(code: ErrorCode, message: string, options: SathosErrorOptions = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.where = options.where === undefined ? undefined : oneLine(options.where);
  }

  /** True when the input was unusable rather than judged untrustworthy. */
  get isUsage(): boolean {
    return (USAGE_CODES as readonly string[]).includes(this.code);
  }

  /** The one line a user sees: where, then what and what to do. */
  get line(): string {
    return this.where === undefined ? this.message : `${this.where}: ${this.message}`;
  }
}

export function isSathosError(value: unknown): value is SathosError {
  return value instanceof SathosError;
}

/** A readable one-line description of any thrown value, for causes that are not ours. */
export function describeCause(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const first = value.message.split('\n', 1)[0] ?? '';
    return typeof code === 'string' && !first.includes(code) ? `${code}: ${first}` : first;
  }
  return String(value);
}
