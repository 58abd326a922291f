// The run an action executes in, from the variables the runner sets
// (https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables).
import { SathosError, type RunBinding } from '@sathos/core';
import type { Env } from './inputs.js';

export interface RunContext {
  /** `owner/name` */
  readonly repository: string;
  /** `owner/name/.github/workflows/file.yml@ref` */
  readonly workflowRef: string;
  readonly runId: string;
  readonly runAttempt: number;
  /** The commit the run checked out (for pull requests, GitHub's test merge commit). */
  readonly sha: string;
  readonly eventName: string;
  readonly eventPath: string | undefined;
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly runnerTemp: string | undefined;
}

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

function required(env: Env, name: string, problems: string[]): string {
  const value = env[name]?.trim() ?? '';
  if (value === '') problems.push(name);
  return value;
}

function httpUrl(value: string, name: string, problems: string[]): string {
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    problems.push(`${name} (not an http(s) URL)`);
  }
  return value.replace(/\/+$/, '');
}

/** Reads the run context; names every missing or malformed variable in one usage error. */
export function readRunContext(env: Env): RunContext {
  const problems: string[] = [];
  const repository = required(env, 'GITHUB_REPOSITORY', problems);
  if (repository !== '' && !REPOSITORY.test(repository))
    problems.push('GITHUB_REPOSITORY (not owner/name)');
  const sha = required(env, 'GITHUB_SHA', problems);
  if (sha !== '' && !COMMIT.test(sha)) problems.push('GITHUB_SHA (not a commit id)');
  const attempt = required(env, 'GITHUB_RUN_ATTEMPT', problems);
  const runAttempt = Number(attempt);
  if (attempt !== '' && (!Number.isSafeInteger(runAttempt) || runAttempt < 1)) {
    problems.push('GITHUB_RUN_ATTEMPT (not a positive integer)');
  }
  const context: RunContext = {
    repository,
    workflowRef: required(env, 'GITHUB_WORKFLOW_REF', problems),
    runId: required(env, 'GITHUB_RUN_ID', problems),
    runAttempt,
    sha,
    eventName: required(env, 'GITHUB_EVENT_NAME', problems),
    eventPath: env.GITHUB_EVENT_PATH?.trim() === '' ? undefined : env.GITHUB_EVENT_PATH,
    serverUrl: httpUrl(
      env.GITHUB_SERVER_URL ?? 'https://github.com',
      'GITHUB_SERVER_URL',
      problems,
    ),
    apiUrl: httpUrl(env.GITHUB_API_URL ?? 'https://api.github.com', 'GITHUB_API_URL', problems),
    runnerTemp: env.RUNNER_TEMP?.trim() === '' ? undefined : env.RUNNER_TEMP,
  };
  if (problems.length > 0) {
    throw new SathosError(
      'USAGE',
      `the runner's environment lacks ${problems.join(', ')}; run this inside a GitHub Actions job`,
    );
  }
  return context;
}

/** The run binding every record of this run's chain carries. */
export function runBinding(context: RunContext): RunBinding {
  return {
    repository: context.repository,
    workflowRef: context.workflowRef,
    runId: context.runId,
    runAttempt: context.runAttempt,
    commit: context.sha,
  };
}
