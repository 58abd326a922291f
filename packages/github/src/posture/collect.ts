// Builds the posture model of a repository at one commit: every workflow under .github/workflows,
// the local composite actions and reusable workflows they call (read at the same commit), every
// job's effective token, and the graph of actions run, resolved to commits through the API when a
// resolver is given (remote composite actions and workflows are then followed too).
import type {
  ActionNode,
  JobModel,
  JobPermissions,
  PostureModel,
  StepModel,
  WorkflowFileModel,
} from '@sathos/core';
import {
  DEFAULT_SCOPES,
  SathosError,
  capScopes,
  parseUses,
  scopesOf,
  sha256Hex,
} from '@sathos/core';
import { COLLECT_LIMITS, addNode, followRemote } from './action-graph.js';
import type { RepositorySource } from './git-source.js';
import type { DeclaredAt, ParsedJob, ParsedWorkflow } from './parse-workflow.js';
import { parseActionFile, parseWorkflowFile } from './parse-workflow.js';
import type { ActionResolver } from './resolve.js';

export const WORKFLOWS_DIR = '.github/workflows';
export { COLLECT_LIMITS } from './action-graph.js';

export interface CollectOptions {
  /** `owner/repo`: its owner's actions count as first-party. */
  readonly repository?: string;
  /** Resolves remote refs to commits and reads remote action files; without it nothing remote is looked up. */
  readonly resolver?: ActionResolver;
}

interface State {
  readonly source: RepositorySource;
  readonly owner: string | undefined;
  readonly workflows: Map<string, ParsedWorkflow>;
  readonly actions: Map<string, StepModel[] | null>;
  readonly nodes: Map<string, ActionNode>;
  readonly jobs: JobModel[];
}

const isWorkflowFile = (p: string): boolean => /\.ya?ml$/.test(p);

/** `./a/b/../c` → `a/c`; undefined when it leaves the repository. */
function localPath(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.pop() === undefined) return undefined;
    } else out.push(part);
  }
  return out.join('/');
}

async function readText(state: State, path: string): Promise<string | undefined> {
  return (await state.source.read([path])).get(path);
}

async function loadWorkflow(
  state: State,
  path: string,
  text?: string,
): Promise<ParsedWorkflow | undefined> {
  const known = state.workflows.get(path);
  if (known !== undefined) return known;
  const content = text ?? (await readText(state, path));
  if (content === undefined) return undefined;
  const parsed = await parseWorkflowFile(path, content, state.owner);
  state.workflows.set(path, parsed);
  return parsed;
}

/** A local composite action's steps, read once; null when it is not a composite action at the commit. */
async function localAction(
  state: State,
  dir: string,
  via: readonly string[],
): Promise<StepModel[] | null> {
  const known = state.actions.get(dir);
  if (known !== undefined) return known;
  const base = dir === '' ? '' : `${dir}/`;
  const files = await state.source.read([`${base}action.yml`, `${base}action.yaml`]);
  const path = files.has(`${base}action.yml`) ? `${base}action.yml` : `${base}action.yaml`;
  const content = files.get(path);
  state.actions.set(dir, null);
  if (content === undefined) return null;
  const parsed = parseActionFile(path, content, via, state.owner);
  const steps = parsed.composite ? [...parsed.steps] : null;
  state.actions.set(dir, steps);
  return steps;
}

/** The steps of a job with every local composite action's steps after the step that runs it. */
async function expandSteps(
  state: State,
  steps: readonly StepModel[],
  via: string | undefined,
  depth: number,
): Promise<StepModel[]> {
  const out: StepModel[] = [];
  for (const step of steps) {
    out.push(step);
    if (step.uses === undefined) continue;
    addNode(state, step.uses, via);
    if (step.uses.kind !== 'local') continue;
    const dir = localPath(step.uses.path ?? '');
    if (dir === undefined || step.via.includes(step.uses.raw)) continue;
    if (depth >= COLLECT_LIMITS.maxDepth)
      throw new SathosError(
        'WORKFLOW_INVALID',
        `composite actions nest deeper than ${COLLECT_LIMITS.maxDepth} levels`,
        {
          where: `${step.file}:${step.line}`,
        },
      );
    const inner = await localAction(state, dir, [...step.via, step.uses.raw]);
    if (inner === null) continue;
    const nested = inner.map((s) => ({ ...s, via: [...step.via, step.uses?.raw ?? ''] }));
    out.push(...(await expandSteps(state, nested, step.uses.raw, depth + 1)));
  }
  return out;
}

function declared(
  d: DeclaredAt | undefined,
  source: JobPermissions['source'],
): JobPermissions | undefined {
  if (d === undefined) return undefined;
  return {
    source,
    scopes: scopesOf(d.declared),
    line: d.line,
    ...(d.declared.kind === 'mapping' ? {} : { shorthand: d.declared.kind }),
  };
}

/** A job's own block, else its workflow's, else the caller's (capped), else the repository default. */
function permissionsOf(
  job: ParsedJob,
  wf: ParsedWorkflow,
  caller: JobPermissions | undefined,
): JobPermissions {
  const own = declared(job.permissions, 'job') ?? declared(wf.permissions, 'workflow');
  if (caller === undefined) return own ?? { source: 'default', scopes: DEFAULT_SCOPES };
  if (own === undefined)
    return { ...caller, source: caller.source === 'default' ? 'default' : 'caller' };
  return { ...own, scopes: capScopes(own.scopes, caller.scopes) };
}

interface Caller {
  readonly id: string;
  readonly workflow: string;
  readonly permissions: JobPermissions;
  readonly chain: readonly string[];
}

async function addJobs(
  state: State,
  wf: ParsedWorkflow,
  caller: Caller | undefined,
  depth: number,
): Promise<void> {
  for (const job of wf.jobs) {
    const id = caller === undefined ? job.id : `${caller.id}/${job.id}`;
    const permissions = permissionsOf(job, wf, caller?.permissions);
    const calls =
      job.calls === undefined ? undefined : parseUses(job.calls.uses, true, state.owner);
    const via = caller === undefined ? undefined : wf.path;
    const steps = await expandSteps(
      state,
      job.steps,
      via === undefined ? undefined : `./${via}`,
      0,
    );
    const model: JobModel = {
      id,
      workflow: caller?.workflow ?? wf.path,
      file: wf.path,
      line: job.at.line,
      col: job.at.col,
      permissions,
      secrets: [...new Set([...wf.secrets, ...job.secrets])].sort(),
      ...(job.environment === undefined ? {} : { environment: job.environment }),
      runsOn: job.runsOn,
      selfHosted: job.selfHosted,
      ...(calls === undefined ? {} : { calls, callsAt: job.calls?.at ?? job.at }),
      steps,
    };
    state.jobs.push(model);
    if (calls === undefined) continue;
    addNode(state, calls, via === undefined ? undefined : `./${via}`);
    if (calls.kind !== 'local') continue;
    const target = localPath(calls.path?.replace(/@.*$/, '') ?? '');
    const chain = caller?.chain ?? [wf.path];
    if (target === undefined || chain.includes(target)) continue;
    if (depth >= COLLECT_LIMITS.maxDepth)
      throw new SathosError(
        'WORKFLOW_INVALID',
        `reusable workflows nest deeper than ${COLLECT_LIMITS.maxDepth} levels`,
        {
          where: `${wf.path}:${job.at.line}`,
        },
      );
    const called = await loadWorkflow(state, target);
    if (called === undefined) continue;
    await addJobs(
      state,
      called,
      { id, workflow: caller?.workflow ?? wf.path, permissions, chain: [...chain, target] },
      depth + 1,
    );
  }
}

/** The posture model of the repository `source` reads. Throws WORKFLOW_INVALID (file:line) for a file GitHub would refuse. */
export async function collectPosture(
  source: RepositorySource,
  options: CollectOptions = {},
): Promise<PostureModel> {
  const owner = options.repository?.split('/', 1)[0];
  const state: State = {
    source,
    owner,
    workflows: new Map(),
    actions: new Map(),
    nodes: new Map(),
    jobs: [],
  };
  const paths = (await source.list(WORKFLOWS_DIR)).filter(isWorkflowFile).sort();
  if (paths.length > COLLECT_LIMITS.maxWorkflows)
    throw new SathosError(
      'TOO_LARGE',
      `more than ${COLLECT_LIMITS.maxWorkflows} workflow files; refusing`,
    );
  const texts = await source.read(paths);
  const parsed: ParsedWorkflow[] = [];
  for (const path of paths) {
    const wf = await loadWorkflow(state, path, texts.get(path) ?? '');
    if (wf !== undefined) parsed.push(wf);
  }
  const calledLocally = new Set(
    parsed.flatMap((wf) =>
      wf.jobs.flatMap((j) => {
        const u = j.calls === undefined ? undefined : parseUses(j.calls.uses, true);
        const p = u?.kind === 'local' ? localPath(u.path ?? '') : undefined;
        return p === undefined ? [] : [p];
      }),
    ),
  );
  for (const wf of parsed) {
    // A reusable workflow that this repository calls is judged under each caller's triggers and token.
    const onlyCalled = wf.triggers.every((t) => t.event === 'workflow_call');
    if (onlyCalled && calledLocally.has(wf.path)) continue;
    await addJobs(state, wf, undefined, 0);
  }
  if (options.resolver !== undefined) await followRemote(state, options.resolver);
  const files: WorkflowFileModel[] = parsed.map((wf) => ({
    path: wf.path,
    triggers: wf.triggers,
    reusable: wf.triggers.some((t) => t.event === 'workflow_call'),
    sha256: sha256Hex(texts.get(wf.path) ?? ''),
  }));
  return {
    ...(options.repository === undefined ? {} : { repository: options.repository }),
    commit: source.commit,
    files,
    jobs: state.jobs,
    actions: [...state.nodes.values()],
  };
}
