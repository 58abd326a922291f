// The parts of a workflow's event payload that say which commits a run is about: a push's
// before/after, a pull request's base and head, a merge queue group's base and head.
// Payloads: https://docs.github.com/en/webhooks/webhook-events-and-payloads
import { SathosError } from '@sathos/core';
import { readBoundedFile } from '@sathos/node';

/** Payloads are small; anything larger is not one the runner wrote. */
export const MAX_EVENT_BYTES = 32 * 1024 * 1024;

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
const ZERO = /^0+$/;

export interface PushEvent {
  readonly kind: 'push';
  /** The branch's previous tip; undefined when the push created the branch. */
  readonly before: string | undefined;
  /** The branch's new tip; undefined when the push deleted the branch. */
  readonly after: string | undefined;
  readonly forced: boolean;
  /** The repository's default branch (`repository.default_branch`), when the payload names a sane one. */
  readonly defaultBranch: string | undefined;
  /** The pushed ref (`refs/heads/feature`, `refs/tags/v1`), when the payload names a sane one. */
  readonly ref: string | undefined;
}

export interface PullRequestEvent {
  readonly kind: 'pull_request';
  readonly number: number;
  readonly baseSha: string;
  readonly headSha: string;
  /** `owner/name` of the repository the pull request targets. */
  readonly baseRepository: string;
}

export interface MergeGroupEvent {
  readonly kind: 'merge_group';
  readonly baseSha: string;
  readonly headSha: string;
}

/** Any other event: no commit range of its own. */
export interface OtherEvent {
  readonly kind: 'other';
  readonly name: string;
}

export type CommitEvent = PushEvent | PullRequestEvent | MergeGroupEvent | OtherEvent;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(name: string, field: string, where: string): SathosError {
  return new SathosError(
    'USAGE',
    `the ${name} event payload has no valid ${field}; this action reads the payload GitHub wrote`,
    { where },
  );
}

function commitAt(value: unknown, name: string, field: string, where: string): string {
  if (typeof value !== 'string' || !COMMIT.test(value)) throw malformed(name, field, where);
  return value;
}

/** A commit id, or undefined for the all-zero id GitHub uses for "no commit". */
function optionalCommit(
  value: unknown,
  name: string,
  field: string,
  where: string,
): string | undefined {
  const commit = commitAt(value, name, field, where);
  return ZERO.test(commit) ? undefined : commit;
}

/** A branch name we may hand to git: plain characters, no `..`, no leading dash. */
function branchName(value: unknown): string | undefined {
  return typeof value === 'string' &&
    /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}$/.test(value) &&
    !value.includes('..')
    ? value
    : undefined;
}

function pushEvent(payload: Json, where: string): PushEvent {
  return {
    kind: 'push',
    before: optionalCommit(payload.before, 'push', 'before', where),
    after: optionalCommit(payload.after, 'push', 'after', where),
    forced: payload.forced === true,
    defaultBranch: branchName(
      isObject(payload.repository) ? payload.repository.default_branch : undefined,
    ),
    ref: branchName(payload.ref),
  };
}

function pullRequestEvent(name: string, payload: Json, where: string): PullRequestEvent {
  const pr = payload.pull_request;
  if (!isObject(pr) || !isObject(pr.base) || !isObject(pr.head)) {
    throw malformed(name, 'pull_request.base/head', where);
  }
  const number = pr.number ?? payload.number;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw malformed(name, 'pull_request.number', where);
  }
  const repo = pr.base.repo;
  const fullName = isObject(repo) ? repo.full_name : undefined;
  if (typeof fullName !== 'string' || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(fullName)) {
    throw malformed(name, 'pull_request.base.repo.full_name', where);
  }
  return {
    kind: 'pull_request',
    number,
    baseSha: commitAt(pr.base.sha, name, 'pull_request.base.sha', where),
    headSha: commitAt(pr.head.sha, name, 'pull_request.head.sha', where),
    baseRepository: fullName,
  };
}

function mergeGroupEvent(payload: Json, where: string): MergeGroupEvent {
  const group = payload.merge_group;
  if (!isObject(group)) throw malformed('merge_group', 'merge_group', where);
  return {
    kind: 'merge_group',
    baseSha: commitAt(group.base_sha, 'merge_group', 'merge_group.base_sha', where),
    headSha: commitAt(group.head_sha, 'merge_group', 'merge_group.head_sha', where),
  };
}

/** Interprets a parsed payload for the named event. */
export function parseEvent(name: string, payload: unknown, where = 'event payload'): CommitEvent {
  if (!isObject(payload)) {
    throw new SathosError('USAGE', 'the event payload is not a JSON object', { where });
  }
  switch (name) {
    case 'push':
      return pushEvent(payload, where);
    case 'pull_request':
    case 'pull_request_target':
      return pullRequestEvent(name, payload, where);
    case 'merge_group':
      return mergeGroupEvent(payload, where);
    default:
      return { kind: 'other', name };
  }
}

/** Reads GITHUB_EVENT_PATH (bounded) and interprets it; events without a range need no file. */
export async function readEvent(name: string, path: string | undefined): Promise<CommitEvent> {
  const needsPayload = ['push', 'pull_request', 'pull_request_target', 'merge_group'].includes(
    name,
  );
  if (!needsPayload) return { kind: 'other', name };
  if (path === undefined) {
    throw new SathosError(
      'USAGE',
      `GITHUB_EVENT_PATH is not set for a ${name} event; run this inside a GitHub Actions job`,
    );
  }
  // Bounded, and a FIFO or device at the path is refused rather than read forever.
  const bytes = await readBoundedFile(path, {
    what: 'event payload (GITHUB_EVENT_PATH)',
    maxBytes: MAX_EVENT_BYTES,
    tooLarge: 'TOO_LARGE',
  });
  const text = bytes.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (cause) {
    throw new SathosError('USAGE', 'the event payload is not valid JSON', { where: path, cause });
  }
  return parseEvent(name, payload, path);
}
