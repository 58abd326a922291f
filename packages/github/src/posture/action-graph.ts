// The graph of actions the workflows run: one node per action (and per caller that reaches it), its
// commit when pinned or resolved, and — given a resolver — the remote composite actions and reusable
// workflows followed through the API at their commits, ten levels deep at most.
import type { ActionNode, StepModel, UsesRef } from '@sathos/core';
import { SathosError, parseUses } from '@sathos/core';
import { parseActionFile, parseWorkflowFile } from './parse-workflow.js';
import type { ActionResolver } from './resolve.js';

export const COLLECT_LIMITS = {
  /** Workflow files read at most. */
  maxWorkflows: 1000,
  /** Nesting of composite actions and called workflows (GitHub allows ten levels of workflows). */
  maxDepth: 10,
  /** Nodes of the action graph. */
  maxActions: 10_000,
} as const;

/** What the graph is built in: the repository's owner (first-party actions) and the nodes so far. */
export interface GraphState {
  readonly owner: string | undefined;
  readonly nodes: Map<string, ActionNode>;
}

export function addNode(state: GraphState, uses: UsesRef, via: string | undefined): void {
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

/** Remote composite actions and reusable workflows, followed through the API at their commits. */
export async function followRemote(state: GraphState, resolver: ActionResolver): Promise<void> {
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
  state: GraphState,
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
