// Reading a `uses:` value (https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax
// #jobsjob_idstepsuses): `owner/repo[/path]@ref`, `./path` (this repository at the run's commit),
// `docker://image[:tag|@sha256:digest]`. The ref kind says whether it can move under the workflow.
import type { RefKind, UsesRef } from './model.js';

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHORT_SHA = /^[0-9a-f]{7,39}$/;
/** `v4`, `v1.2.3`, `1.0`, `v2-beta`: read as tags; any other name as a branch. */
const VERSION = /^v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.-]+)?$/;
const FIRST_PARTY_OWNERS = new Set(['actions', 'github']);

function refKind(ref: string): RefKind {
  if (FULL_SHA.test(ref)) return 'sha';
  if (SHORT_SHA.test(ref) && !VERSION.test(ref)) return 'short-sha';
  return VERSION.test(ref) ? 'tag' : 'branch';
}

/** Parses a `uses:` value; undefined when it is none of the documented forms. */
export function parseUses(raw: string, workflow: boolean, ownOwner?: string): UsesRef | undefined {
  const value = raw.trim();
  if (value.startsWith('./'))
    return { raw, kind: 'local', path: value.slice(2), firstParty: true, pinned: true, workflow };
  if (value.startsWith('docker://')) {
    const image = value.slice('docker://'.length);
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    return {
      raw,
      kind: digest ? 'docker-digest' : 'docker',
      ref: image,
      firstParty: false,
      pinned: digest,
      workflow,
    };
  }
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  const [owner, repo, ...rest] = value.slice(0, at).split('/');
  if (owner === undefined || owner === '' || repo === undefined || repo === '') return undefined;
  const ref = value.slice(at + 1);
  const kind = refKind(ref);
  const lower = owner.toLowerCase();
  return {
    raw,
    kind,
    repository: `${owner}/${repo}`,
    path: rest.join('/'),
    ref,
    firstParty: FIRST_PARTY_OWNERS.has(lower) || lower === ownOwner?.toLowerCase(),
    pinned: kind === 'sha',
    workflow,
  };
}

/** `owner/repo[/path]`: the action's name without its ref, compared case-insensitively. */
export function actionName(uses: UsesRef): string {
  const name =
    uses.path === undefined || uses.path === ''
      ? uses.repository
      : `${uses.repository}/${uses.path}`;
  return (name ?? uses.raw).toLowerCase();
}
