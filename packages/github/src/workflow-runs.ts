// Seeding a step's duration baseline from GitHub's own records of past runs: the workflow's recent
// successful push runs on one branch, and the timing of one job (or one step of it) in each.
// Timings carry no hosts, so seeded runs count for durations only (docs/anomaly.md).
// https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
// https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run
import { BASELINE_LIMITS, SathosError, type BaselineRun } from '@sathos/core';
import { getJson, type GitHubApi } from './rest.js';

export interface SeedRequest {
  /** `owner/name` */
  readonly repository: string;
  /** The workflow file name (`ci.yml`) or its numeric id. */
  readonly workflow: string;
  /** Only runs of this branch (the default branch: runs a pull request cannot have shaped). */
  readonly branch: string;
  /** The job's name as the jobs API lists it (a matrix job: `build (ubuntu-latest, 24)`). */
  readonly job: string;
  /** One step of the job, by its name; the whole job when absent. */
  readonly step?: string;
  /** How many recent runs to read (at most BASELINE_LIMITS.maxRuns). */
  readonly runs: number;
  /** Runs already in the baseline (`source` values): not seeded twice. */
  readonly skipSources?: ReadonlySet<string>;
}

const PERMISSION = 'actions: read';
const WORKFLOW = /^(?:[A-Za-z0-9_.-]+\.ya?ml|\d+)$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

function malformed(what: string, where: string): SathosError {
  return new SathosError('USAGE', `the GitHub API answered ${what}; retry, or seed no baseline`, {
    where,
  });
}

/** The ids of the workflow's latest successful push runs on the branch, newest first. */
async function successfulRunIds(api: GitHubApi, req: SeedRequest): Promise<number[]> {
  const query = new URLSearchParams({
    branch: req.branch,
    event: 'push',
    status: 'success',
    per_page: String(req.runs),
    page: '1',
  });
  const path = `/repos/${req.repository}/actions/workflows/${encodeURIComponent(req.workflow)}/runs?${query.toString()}`;
  const answer = await getJson(api, path, PERMISSION);
  const runs = isObject(answer) ? answer.workflow_runs : undefined;
  if (!Array.isArray(runs)) throw malformed('without a workflow_runs list', path);
  // The query asked for these; a run that says otherwise is not used (the answer is not trusted).
  return runs
    .filter(
      (r: unknown): r is Json =>
        isObject(r) &&
        isId(r.id) &&
        r.conclusion === 'success' &&
        r.event === 'push' &&
        r.head_branch === req.branch,
    )
    .map((r) => r.id as number)
    .slice(0, req.runs);
}

/** Milliseconds between two ISO timestamps, or undefined when either is missing or unordered. */
function spanMs(started: unknown, completed: unknown): { ms: number; end: number } | undefined {
  if (typeof started !== 'string' || typeof completed !== 'string') return undefined;
  const start = Date.parse(started);
  const end = Date.parse(completed);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return undefined;
  return { ms: end - start, end };
}

/** The job's (or its step's) timing in one run, as a baseline run; undefined when it has none. */
async function runTiming(
  api: GitHubApi,
  req: SeedRequest,
  runId: number,
): Promise<BaselineRun | undefined> {
  const path = `/repos/${req.repository}/actions/runs/${runId}/jobs?filter=latest&per_page=100`;
  const answer = await getJson(api, path, PERMISSION);
  const jobs = isObject(answer) ? answer.jobs : undefined;
  if (!Array.isArray(jobs)) throw malformed('without a jobs list', path);
  const job = jobs.find(
    (j: unknown): j is Json => isObject(j) && j.name === req.job && j.conclusion === 'success',
  );
  if (job === undefined || !isId(job.id)) return undefined;
  const source = `github:run/${runId}/job/${job.id}`;
  if (req.skipSources?.has(source) === true) return undefined;
  let timed: Json = job;
  if (req.step !== undefined) {
    const steps = Array.isArray(job.steps) ? (job.steps as unknown[]) : [];
    const step = steps.find(
      (s): s is Json => isObject(s) && s.name === req.step && s.conclusion === 'success',
    );
    if (step === undefined) return undefined;
    timed = step;
  }
  const span = spanMs(timed.started_at, timed.completed_at);
  // GitHub times to the second: a step that took "0 s" has no duration a deadline may rest on.
  if (span === undefined || span.ms < 1000 || span.ms > BASELINE_LIMITS.maxDurationMs)
    return undefined;
  return { at: span.end, durationMs: span.ms, source };
}

/** Baseline runs (durations only) from the workflow's recent successful runs, oldest first. */
export async function seedRunsFromGitHub(api: GitHubApi, req: SeedRequest): Promise<BaselineRun[]> {
  if (!WORKFLOW.test(req.workflow))
    throw new SathosError(
      'USAGE',
      `workflow "${req.workflow}" must be a workflow file name (ci.yml) or id`,
    );
  if (!Number.isSafeInteger(req.runs) || req.runs < 1 || req.runs > BASELINE_LIMITS.maxRuns)
    throw new SathosError('USAGE', `seed at most ${BASELINE_LIMITS.maxRuns} runs`);
  const seeded: BaselineRun[] = [];
  for (const id of await successfulRunIds(api, req)) {
    const run = await runTiming(api, req, id);
    if (run !== undefined) seeded.push(run);
  }
  return seeded.sort((a, b) => a.at - b.at);
}

/** The workflow file name of a `owner/name/.github/workflows/file.yml@ref` workflow ref. */
export function workflowFileOf(workflowRef: string): string | undefined {
  const match = /\/\.github\/workflows\/([A-Za-z0-9_.-]+\.ya?ml)@/.exec(workflowRef);
  return match?.[1];
}
