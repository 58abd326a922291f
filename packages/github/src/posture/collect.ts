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
  UsesRef,
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
import type { RepositorySource } from './git-source.js';
import type { DeclaredAt, ParsedJob, ParsedWorkflow } from './parse-workflow.js';
import { parseActionFile, parseWorkflowFile } from './parse-workflow.js';
import type { ActionResolver } from './resolve.js';

export const WORKFLOWS_DIR = '.github/workflows';

export const COLLECT_LIMITS = {
  /** Workflow files read at most. */
  maxWorkflows: 1000,
  /** Nesting of composite actions and called workflows (GitHub allows ten levels of workflows). */
  maxDepth: 10,
  /** Nodes of the action graph. */
  maxActions: 10_000,
} as const;

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

function addNode(state: State, uses: UsesRef, via: string | undefined): void {
  const key = `${uses.raw}\0${via ?? ''}`;
  if (state.nodes.has(key)) return;
  if (state.nodes.size >= COLLECT_LIMITS.maxActions)
    throw new SathosError(
      'TOO_LARGE',
      `the workflows run more than ${COLLECT_LIMITS.maxActions} actions; refusing`,
    );
  const sha =
    uses.kind === 'sha'
      ? uses.ref
      : uses.kind === 'docker-digest'
        ? uses.ref?.slice(uses.ref.lastIndexOf('@') + 1)
        : undefined;
  state.nodes.set(key, {
    uses: uses.raw.trim(),
    kind: uses.kind,
    workflow: uses.workflow,
    firstParty: uses.firstParty,
    ...(sha === undefined ? {} : { sha }),
    ...(via === undefined ? {} : { via }),
  });
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

/** Remote composite actions and reusable workflows, followed through the API at their commits. */
async function followRemote(state: State, resolver: ActionResolver): Promise<void> {
  const done = new Set<string>();
  for (let round = 0; round < COLLECT_LIMITS.maxDepth; round++) {
    const pending = [...state.nodes.entries()].filter(
      ([key, n]) =>
        !done.has(key) && n.kind !== 'local' && n.kind !== 'docker' && n.kind !== 'docker-digest',
    );
    if (pending.length === 0) return;
    for (const [key, node] of pending) {
      done.add(key);
      const uses = parseUses(node.uses, node.workflow, state.owner);
      if (uses?.repository === undefined || uses.ref === undefined) continue;
      const sha = node.sha ?? (await resolver.resolve(uses.repository, uses.ref));
      state.nodes.set(key, { ...node, sha });
      const steps = await remoteSteps(state, resolver, uses, sha);
      for (const step of steps)
        if (step.uses !== undefined && step.uses.kind !== 'local')
          addNode(state, step.uses, node.uses);
    }
  }
}

async function remoteSteps(
  state: State,
  resolver: ActionResolver,
  uses: UsesRef,
  sha: string,
): Promise<StepModel[]> {
  const repo = uses.repository ?? '';
  const where = `${repo}@${sha}`;
  if (uses.workflow) {
    const text = await resolver.read(repo, sha, uses.path ?? '');
    if (text === undefined) return [];
    const wf = await parseWorkflowFile(`${where}/${uses.path ?? ''}`, text, state.owner);
    return wf.jobs.flatMap((j) => [
      ...j.steps,
      ...(j.calls === undefined
        ? []
        : [
            {
              line: j.at.line,
              col: j.at.col,
              with: {},
              runReads: [],
              file: wf.path,
              via: [],
              uses: parseUses(j.calls.uses, true, state.owner),
            } as StepModel,
          ]),
    ]);
  }
  const base = uses.path === undefined || uses.path === '' ? '' : `${uses.path}/`;
  const text =
    (await resolver.read(repo, sha, `${base}action.yml`)) ??
    (await resolver.read(repo, sha, `${base}action.yaml`));
  if (text === undefined) return [];
  return [...parseActionFile(`${where}/${base}action.yml`, text, [uses.raw], state.owner).steps];
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
