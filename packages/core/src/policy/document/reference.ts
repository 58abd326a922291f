// Where a policy lives: a local file, or a file in another repository pinned to a commit
// (`github:<owner>/<repo>/<path>@<commit sha>`), optionally pinned to a digest as well.
import { SathosError } from '../../errors.js';
import { sha256Hex } from '../../digest.js';

export type PolicyReference =
  | { readonly kind: 'file'; readonly path: string }
  | {
      readonly kind: 'github';
      readonly owner: string;
      readonly repo: string;
      readonly path: string;
      /** A full commit SHA (40 or 64 hex): a branch or tag moves, a commit does not. */
      readonly ref: string;
    };

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
export const GITHUB_PREFIX = 'github:';

function usage(message: string, where: string): SathosError {
  return new SathosError('USAGE', message, { where });
}

/** Reads `github:owner/repo/path@sha` or a local path; a remote ref that is not a commit SHA is refused. */
export function parsePolicyReference(text: string): PolicyReference {
  if (!text.startsWith(GITHUB_PREFIX)) return { kind: 'file', path: text };
  const body = text.slice(GITHUB_PREFIX.length);
  const at = body.lastIndexOf('@');
  const [owner = '', repo = '', ...rest] = (at < 0 ? body : body.slice(0, at)).split('/');
  const path = rest.join('/');
  const ref = at < 0 ? '' : body.slice(at + 1);
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..')
    throw usage('policy reference must be github:<owner>/<repo>/<path>@<commit sha>', text);
  if (
    path === '' ||
    path.startsWith('/') ||
    path.split('/').some((p) => p === '' || p === '.' || p === '..')
  )
    throw usage('policy path in the repository must be relative, without . or .. segments', text);
  if (!COMMIT.test(ref))
    throw usage(
      `policy ref "${ref}" is not a full commit SHA; pin the policy to a commit (a branch or tag can move)`,
      text,
    );
  return { kind: 'github', owner, repo, path, ref };
}

/** Parses `sha256:<hex>` or bare hex; throws USAGE otherwise. */
export function parseExpectedDigest(text: string): string {
  const hex = text.startsWith('sha256:') ? text.slice('sha256:'.length) : text;
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new SathosError('USAGE', `expected policy digest "${text}" must be sha256:<64 hex>`);
  return hex.toLowerCase();
}

/** Refuses policy bytes whose SHA-256 is not the pinned one (POLICY_DIGEST_MISMATCH, a rejection). */
export function assertPolicyDigest(
  bytes: Uint8Array | string,
  expected: string | undefined,
  uri: string,
): void {
  if (expected === undefined) return;
  const actual = sha256Hex(bytes);
  if (actual !== parseExpectedDigest(expected)) {
    throw new SathosError(
      'POLICY_DIGEST_MISMATCH',
      `policy digest is sha256:${actual}, but sha256:${parseExpectedDigest(expected)} was pinned; the policy changed or the pin is wrong`,
      { where: uri },
    );
  }
}
