// Which commits this run must verify: what the inputs name, or else what the event says — a push's
// before..after, a pull request's commits (listed by the REST API, verified locally), a merge group's
// base..head, or the run's own commit. Each choice is explicit and told to the user.
import { SathosError, type CommitRange } from '@sathos/core';
import {
  listPullRequestCommits,
  readEvent,
  type CommitEvent,
  type GitHubApi,
  type RunContext,
} from '@sathos/github';
import type { CommitSelection } from './inputs.js';

const ZERO_ID = '0'.repeat(40);

export type CommitPlan =
  | {
      readonly kind: 'verify';
      readonly range: CommitRange;
      /** The revision the run builds from: it is verified even when the range turns out empty. */
      readonly head: string;
      /** One line for people: what is verified and why. */
      readonly description: string;
    }
  | { readonly kind: 'nothing'; readonly reason: string };

function fromSelection(selection: CommitRange): CommitPlan {
  if (selection.kind === 'range') {
    return {
      kind: 'verify',
      range: selection,
      head: selection.head,
      description: `the range ${selection.base}..${selection.head} (input "range")`,
    };
  }
  const head = selection.commits.at(-1) ?? '';
  return {
    kind: 'verify',
    range: selection,
    head,
    description: `${selection.commits.length} listed commit(s) (input "commits")`,
  };
}

async function pullRequestPlan(
  event: Extract<CommitEvent, { kind: 'pull_request' }>,
  api: GitHubApi,
): Promise<CommitPlan> {
  const commits = await listPullRequestCommits(api, event.baseRepository, event.number);
  if (commits.at(-1) !== event.headSha) {
    throw new SathosError(
      'RANGE_UNVERIFIABLE',
      `the API lists pull request #${event.number} ending at ${commits.at(-1) ?? 'nothing'}, not the event's head ${event.headSha}; re-run the job`,
    );
  }
  return {
    kind: 'verify',
    range: { kind: 'list', commits },
    head: event.headSha,
    description: `the ${commits.length} commit(s) of pull request #${event.number}`,
  };
}

function pushWhy(event: Extract<CommitEvent, { kind: 'push' }>): string {
  if (event.before === undefined) return ' (the push created the branch)';
  return event.forced ? ' (a force push)' : '';
}

/**
 * A push to the default branch verifies before..after: that `before` was verified by an earlier run is
 * what branch protection (this check required, no direct pushes) guarantees, and the summary says so.
 * Any other push also verifies every commit of the head not on the default branch, so an unsigned
 * commit whose run failed while its push stood is verified again by every later push, not laundered.
 */
function pushPlan(event: Extract<CommitEvent, { kind: 'push' }>): CommitPlan {
  if (event.after === undefined) {
    return { kind: 'nothing', reason: 'the push deleted the branch: there is no commit to verify' };
  }
  const base = event.before ?? ZERO_ID;
  // The full ref name, looked up as exactly that ref: git resolves a short `origin/main` (or an
  // absent full name) to a tag or local branch of that name, which anyone who may push can create.
  const defaultRef =
    event.defaultBranch === undefined ? undefined : `refs/remotes/origin/${event.defaultBranch}`;
  const toDefault =
    event.defaultBranch !== undefined && event.ref === `refs/heads/${event.defaultBranch}`;
  const pushed = `the pushed commits ${base.slice(0, 12)}..${event.after.slice(0, 12)}${pushWhy(event)}`;
  const range: CommitRange = {
    kind: 'range',
    base,
    head: event.after,
    ...(defaultRef === undefined ? {} : { defaultBranch: defaultRef }),
    ...(toDefault ? {} : { sinceDefaultBranch: true }),
  };
  return {
    kind: 'verify',
    range,
    head: event.after,
    description: toDefault
      ? `${pushed} to the default branch ${event.defaultBranch} (commits before ${base.slice(0, 12)} are trusted as verified by earlier runs: require this check in branch protection)`
      : `${pushed} and every commit of ${event.after.slice(0, 12)} not on ${defaultRef ?? 'the default branch (the payload names none, so the range is refused)'}`,
  };
}

/** Decides the commits to verify. Reads the event payload only when the inputs name no commits. */
export async function planCommits(
  selection: CommitSelection,
  context: RunContext,
  api: GitHubApi,
): Promise<CommitPlan> {
  if (selection.kind !== 'event') return fromSelection(selection);
  const event = await readEvent(context.eventName, context.eventPath);
  switch (event.kind) {
    case 'push':
      return pushPlan(event);
    case 'pull_request':
      return pullRequestPlan(event, api);
    case 'merge_group':
      return {
        kind: 'verify',
        range: { kind: 'range', base: event.baseSha, head: event.headSha },
        head: event.headSha,
        description: `the merge group ${event.baseSha.slice(0, 12)}..${event.headSha.slice(0, 12)}`,
      };
    case 'other':
      return {
        kind: 'verify',
        range: { kind: 'list', commits: [context.sha] },
        head: context.sha,
        description: `the run's commit (a ${event.name} event names no range)`,
      };
  }
}
