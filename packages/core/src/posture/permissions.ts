// Effective GITHUB_TOKEN permissions (https://docs.github.com/actions/reference/workflows-and-actions
// /workflow-syntax#permissions): a job's own block, else the workflow's, else the repository
// default; a mapping grants `none` to every scope it omits; a called workflow never gets more
// than its caller's token.
import type { PermissionLevel, PermissionScope, ScopeLevels } from './model.js';
import { PERMISSION_SCOPES } from './model.js';

/** A `permissions:` value as written: a shorthand, or scope levels by name. */
export type DeclaredPermissions =
  | { readonly kind: 'read-all' }
  | { readonly kind: 'write-all' }
  | {
      readonly kind: 'mapping';
      readonly scopes: Readonly<Partial<Record<PermissionScope, PermissionLevel>>>;
    };

const RANK: Readonly<Record<PermissionLevel, number>> = { none: 0, read: 1, write: 2 };

function every(level: PermissionLevel): ScopeLevels {
  return Object.fromEntries(PERMISSION_SCOPES.map((s) => [s, level])) as Record<
    PermissionScope,
    PermissionLevel
  >;
}

/**
 * What the repository default grants, counted at its worst (the permissive setting: write on every
 * scope), since the workflow cannot show the setting. No default grants `id-token`.
 */
export const DEFAULT_SCOPES: ScopeLevels = { ...every('write'), 'id-token': 'none' };

/** The levels a declaration grants. */
export function scopesOf(declared: DeclaredPermissions): ScopeLevels {
  if (declared.kind === 'write-all') return every('write');
  if (declared.kind === 'read-all') return every('read');
  const out = every('none') as Record<PermissionScope, PermissionLevel>;
  for (const scope of PERMISSION_SCOPES) {
    const level = declared.scopes[scope];
    if (level !== undefined) out[scope] = level;
  }
  return out;
}

/** Scope by scope, the lesser of two grants: a caller caps the workflow it calls. */
export function capScopes(scopes: ScopeLevels, cap: ScopeLevels): ScopeLevels {
  return Object.fromEntries(
    PERMISSION_SCOPES.map((s) => [s, RANK[scopes[s]] <= RANK[cap[s]] ? scopes[s] : cap[s]]),
  ) as Record<PermissionScope, PermissionLevel>;
}

/** The scopes granted `write`. */
export function writeScopes(scopes: ScopeLevels): PermissionScope[] {
  return PERMISSION_SCOPES.filter((s) => scopes[s] === 'write');
}
