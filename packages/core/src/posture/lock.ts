// The action lock: every remote action and reusable workflow the workflows run, directly or
// through composite actions and called workflows, with the commit its ref named when locked. A
// tag moved since (a compromised release re-tagged) or a new transitive action shows up as a
// difference, and the policy can stop the pipeline on it before anything runs.
import { SathosError } from '../errors.js';
import type { ActionNode, PostureModel } from './model.js';

export const LOCK_VERSION = 1;
/** A lock naming more actions than this is refused unread. */
export const MAX_LOCK_ENTRIES = 10_000;

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64})$/;

export interface LockEntry {
  /** `owner/repo[/path]@ref` or `docker://image@sha256:…`, as written in the workflow. */
  readonly uses: string;
  /** The commit (or image digest) it named when locked. */
  readonly sha: string;
}

export interface ActionLock {
  readonly version: typeof LOCK_VERSION;
  readonly actions: readonly LockEntry[];
}

export interface LockComparison {
  /** True when every action run now is in the lock at the same commit. */
  readonly matches: boolean;
  /** Run now, not in the lock: a new direct or transitive action. */
  readonly added: readonly LockEntry[];
  /** In the lock at another commit: its ref moved. */
  readonly moved: readonly {
    readonly uses: string;
    readonly locked: string;
    readonly now: string;
  }[];
  /** Run now but not resolved to a commit, so they cannot be compared. */
  readonly unresolved: readonly string[];
  /** In the lock, no longer run (harmless; re-lock to drop them). */
  readonly stale: readonly string[];
}

const lockable = (n: ActionNode): boolean => n.kind !== 'local';

/** The lock of a model; every remote action must be resolved (the caller resolves with the API). */
export function lockOf(model: PostureModel): ActionLock {
  const entries = new Map<string, string>();
  for (const node of model.actions.filter(lockable)) {
    if (node.sha === undefined) {
      throw new SathosError(
        'USAGE',
        node.kind === 'docker'
          ? `${node.uses} names an image by tag, which has no commit to lock; pin it by digest (docker://image@sha256:…)`
          : `${node.uses} was not resolved to a commit; give --github-api and a token (GITHUB_TOKEN) so its ref can be looked up`,
      );
    }
    entries.set(node.uses, node.sha);
  }
  return {
    version: LOCK_VERSION,
    actions: [...entries]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([uses, sha]) => ({ uses, sha })),
  };
}

/** Stable text: one entry per line, sorted, so a lock diff in review shows exactly what moved. */
export function serializeLock(lock: ActionLock): string {
  const lines = lock.actions.map((e) => `    ${JSON.stringify({ uses: e.uses, sha: e.sha })}`);
  return `{\n  "version": ${lock.version},\n  "actions": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

function invalid(where: string, message: string): SathosError {
  return new SathosError(
    'POLICY_INPUT_INVALID',
    `the action lock ${message}; rewrite it with sathos posture --lock`,
    { where },
  );
}

/** Reads a lock file's text; throws POLICY_INPUT_INVALID saying what is wrong. */
export function parseLock(text: string, where: string): ActionLock {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(where, 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(where, 'must be a JSON object {version, actions}');
  const { version, actions } = value as { version?: unknown; actions?: unknown };
  if (version !== LOCK_VERSION)
    throw invalid(where, `has version ${String(version)}, not ${LOCK_VERSION}`);
  if (!Array.isArray(actions)) throw invalid(where, 'must list actions');
  if (actions.length > MAX_LOCK_ENTRIES)
    throw invalid(where, `lists more than ${MAX_LOCK_ENTRIES} actions`);
  const seen = new Set<string>();
  const entries = actions.map((item: unknown, i): LockEntry => {
    const e = item as { uses?: unknown; sha?: unknown } | null;
    if (
      typeof e?.uses !== 'string' ||
      e.uses === '' ||
      typeof e.sha !== 'string' ||
      !SHA.test(e.sha)
    )
      throw invalid(
        where,
        `entry ${i} must be {"uses": "owner/repo@ref", "sha": "<40 or 64 hex>"}`,
      );
    // Two entries for one action: which commit is locked would depend on which one a reader keeps.
    if (seen.has(e.uses)) throw invalid(where, `lists ${e.uses} twice`);
    seen.add(e.uses);
    return { uses: e.uses, sha: e.sha };
  });
  return { version: LOCK_VERSION, actions: entries };
}

/** Compares what the workflows run now with the lock. */
export function compareLock(lock: ActionLock, model: PostureModel): LockComparison {
  const locked = new Map(lock.actions.map((e) => [e.uses, e.sha]));
  const now = new Map<string, string | undefined>();
  for (const node of model.actions.filter(lockable)) now.set(node.uses, node.sha);
  const added: LockEntry[] = [];
  const moved: { uses: string; locked: string; now: string }[] = [];
  const unresolved: string[] = [];
  for (const [uses, sha] of now) {
    const was = locked.get(uses);
    if (sha === undefined) unresolved.push(uses);
    else if (was === undefined) added.push({ uses, sha });
    else if (was !== sha) moved.push({ uses, locked: was, now: sha });
  }
  const stale = [...locked.keys()].filter((uses) => !now.has(uses));
  return {
    matches: added.length === 0 && moved.length === 0 && unresolved.length === 0,
    added,
    moved,
    unresolved,
    stale,
  };
}

/** One line per difference, for messages and reasons. */
export function lockDifferences(c: LockComparison): string[] {
  return [
    ...c.moved.map((m) => `${m.uses} moved from ${m.locked} to ${m.now}`),
    ...c.added.map((a) => `${a.uses} (${a.sha}) is not in the lock`),
    ...c.unresolved.map((u) => `${u} could not be resolved to a commit`),
  ];
}
