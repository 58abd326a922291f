// Which expression contexts an outsider controls (GitHub's "Security hardening for GitHub Actions"
// lists them: titles, bodies, branch names, commit messages, author names and emails…). A value
// read from one of them and spliced into a shell script is code the outsider wrote.

/** Known attacker-controlled fields; `*` matches one path segment (an index or key). */
const ATTACKER_CONTROLLED: readonly string[] = [
  'github.head_ref',
  'github.event.issue.title',
  'github.event.issue.body',
  'github.event.pull_request.title',
  'github.event.pull_request.body',
  'github.event.pull_request.head.ref',
  'github.event.pull_request.head.label',
  'github.event.pull_request.head.repo.default_branch',
  'github.event.pull_request.head.repo.description',
  'github.event.pull_request.head.repo.homepage',
  'github.event.comment.body',
  'github.event.review.body',
  'github.event.review_comment.body',
  'github.event.discussion.title',
  'github.event.discussion.body',
  'github.event.pages.*.page_name',
  'github.event.commits.*.message',
  'github.event.commits.*.author.email',
  'github.event.commits.*.author.name',
  'github.event.head_commit.message',
  'github.event.head_commit.author.email',
  'github.event.head_commit.author.name',
  'github.event.head_commit.committer.email',
  'github.event.head_commit.committer.name',
  'github.event.workflow_run.head_branch',
  'github.event.workflow_run.display_title',
  'github.event.workflow_run.head_commit.message',
  'github.event.workflow_run.head_commit.author.email',
  'github.event.workflow_run.head_commit.author.name',
  'github.event.workflow_run.pull_requests.*.head.ref',
  'github.event.workflow_run.head_repository.description',
];

/** Last segments of event fields that hold only numbers, ids, hashes, states or logins. */
const SAFE_EVENT_LEAVES = new Set([
  'number',
  'id',
  'node_id',
  'sha',
  'before',
  'after',
  'action',
  'login',
  'state',
  'merged',
  'draft',
  'private',
  'fork',
  'created_at',
  'updated_at',
  'closed_at',
  'merged_at',
  'run_number',
  'run_attempt',
  'size',
  'forced',
  'created',
  'deleted',
  'full_name',
  'default_branch',
  'html_url',
  'url',
]);

function matches(pattern: string, path: string): boolean {
  const want = pattern.split('.');
  const have = path.split('.');
  // A read of a parent (toJSON(github.event.issue)) carries every field under it.
  if (have.length < want.length)
    return have.every((part, i) => want[i] === '*' || want[i] === part || part === '*');
  return want.every((part, i) => part === '*' || have[i] === '*' || have[i] === part);
}

export type Taint = 'attacker' | 'event' | 'none';

/**
 * `attacker`: a field outsiders write (a title, a branch name); `event`: another field of the
 * triggering event not known to be safe (outsiders may write it); `none`: anything else.
 */
export function contextTaint(path: string): Taint {
  const p = path.toLowerCase();
  if (ATTACKER_CONTROLLED.some((pattern) => matches(pattern, p))) return 'attacker';
  if (p === 'github.event' || p.startsWith('github.event.')) {
    const leaf = p.split('.').at(-1) ?? '';
    if (leaf.endsWith('_id') || leaf.endsWith('_sha') || leaf.endsWith('_number')) return 'none';
    // The base repository's own fields are the maintainers', not the sender's.
    if (/^github\.event\.(repository|organization|enterprise|installation)(\.|$)/.test(p))
      return 'none';
    return SAFE_EVENT_LEAVES.has(leaf) ? 'none' : 'event';
  }
  return 'none';
}

/** Refs a pull request's author chooses: checking one out runs the author's code. */
const UNTRUSTED_REFS: readonly string[] = [
  'github.head_ref',
  'github.event.pull_request.head.sha',
  'github.event.pull_request.head.ref',
  'github.event.pull_request.head.repo.full_name',
  'github.event.pull_request.merge_commit_sha',
  'github.event.pull_request.number',
  'github.event.issue.number',
  'github.event.workflow_run.head_sha',
  'github.event.workflow_run.head_branch',
  'github.event.workflow_run.head_repository.full_name',
  'github.event.workflow_run.pull_requests.*.head.sha',
  'github.event.workflow_run.pull_requests.*.head.ref',
  'github.event.workflow_run.pull_requests.*.number',
];

/** A context whose value names the untrusted side of a pull request (its head, its fork). */
export function isUntrustedRef(path: string): boolean {
  const p = path.toLowerCase();
  return UNTRUSTED_REFS.some(
    (pattern) => matches(pattern, p) && p.split('.').length >= pattern.split('.').length,
  );
}
