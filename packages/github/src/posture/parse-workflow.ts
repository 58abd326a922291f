// One workflow or action file through GitHub's own parser (@actions/workflow-parser): schema
// errors and YAML errors become one clear line with file:line; a valid file becomes the typed
// pieces the posture model is built from. Calls to local actions and workflows are followed by
// collect.ts, which reads them at the same commit.
import type { DeclaredPermissions, StepModel, TriggerModel } from '@sathos/core';
import { SathosError, describeCause, isSathosError, yamlExpansionProblem } from '@sathos/core';
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow,
} from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context';
import { jobOf, permissionsOf, secretsOf, stepOf } from './job-tokens.js';
import type { At } from './tokens.js';
import { entries, field, items, text } from './tokens.js';

export { stepOf } from './job-tokens.js';

/** A workflow or action file larger than this is refused unread (GitHub's own limit is 512 KiB). */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;

export interface DeclaredAt {
  readonly declared: DeclaredPermissions;
  readonly line: number;
}

/** A job as written, before permissions are resolved and local calls followed. */
export interface ParsedJob {
  readonly id: string;
  readonly at: At;
  readonly permissions?: DeclaredAt;
  /** `secrets.NAME` read anywhere in the job; `*` for `secrets: inherit`. */
  readonly secrets: readonly string[];
  readonly environment?: string;
  readonly runsOn: readonly string[];
  readonly selfHosted: boolean;
  readonly calls?: { readonly uses: string; readonly at: At };
  readonly steps: readonly StepModel[];
}

export interface ParsedWorkflow {
  readonly path: string;
  readonly triggers: readonly TriggerModel[];
  readonly permissions?: DeclaredAt;
  /** Secrets the workflow-level env reads: every job gets them. */
  readonly secrets: readonly string[];
  readonly jobs: readonly ParsedJob[];
}

function invalid(path: string, line: number | undefined, col: number | undefined, message: string) {
  const where = line === undefined ? path : `${path}:${line}:${col ?? 1}`;
  return new SathosError(
    'WORKFLOW_INVALID',
    `not a valid ${path.endsWith('action.yml') || path.endsWith('action.yaml') ? 'action' : 'workflow'}: ${message}; correct the file and commit it`,
    { where },
  );
}

/** Throws the first parse or schema error, located. */
function checkErrors(path: string, context: TemplateContext): void {
  const first = context.errors.getErrors()[0];
  if (first === undefined) return;
  const raw = first.rawMessage.split('\n', 1)[0] ?? first.rawMessage;
  throw invalid(path, first.range?.start.line, first.range?.start.column, raw.replace(/:$/, ''));
}

/** Refuses what the parser would choke on: an oversized file, an alias bomb. */
function sizeCheck(path: string, content: string): void {
  if (Buffer.byteLength(content) > MAX_WORKFLOW_BYTES)
    throw invalid(path, undefined, undefined, `it is larger than ${MAX_WORKFLOW_BYTES} bytes`);
  const bomb = yamlExpansionProblem(content);
  if (bomb !== undefined) throw invalid(path, bomb.line, bomb.col, bomb.message);
}

function triggersOf(events: Record<string, unknown>): TriggerModel[] {
  return Object.entries(events).map(([event, config]) => {
    const types = (config as { types?: unknown } | undefined)?.types;
    return Array.isArray(types) ? { event, types: types.map(String) } : { event };
  });
}

/** Parses one workflow file; throws WORKFLOW_INVALID (with file:line) when GitHub would refuse it. */
async function readWorkflow(
  path: string,
  content: string,
  owner?: string,
): Promise<ParsedWorkflow> {
  sizeCheck(path, content);
  const parsed = parseWorkflow({ name: path, content }, new NoOperationTraceWriter());
  checkErrors(path, parsed.context);
  const root = parsed.value;
  if (root === undefined) throw invalid(path, 1, 1, 'it is empty');
  const template = await convertWorkflowTemplate(parsed.context, root);
  checkErrors(path, parsed.context);
  const conversion = template.errors?.[0];
  if (conversion !== undefined) throw invalid(path, undefined, undefined, conversion.Message);
  const permissions = permissionsOf(root);
  return {
    path,
    triggers: triggersOf(template.events),
    ...(permissions === undefined ? {} : { permissions }),
    secrets: secretsOf(field(root, 'env')),
    jobs: entries(field(root, 'jobs')).map(([id, job, key]) => jobOf(id, key, job, path, owner)),
  };
}

/** A composite action's steps; an action of another kind runs no steps of its own. */
export interface ParsedAction {
  readonly composite: boolean;
  readonly steps: readonly StepModel[];
}

/** Parses one action.yml; throws WORKFLOW_INVALID (with file:line) when it is not a valid action. */
function readAction(
  path: string,
  content: string,
  via: readonly string[],
  owner?: string,
): ParsedAction {
  sizeCheck(path, content);
  const parsed = parseAction({ name: path, content }, new NoOperationTraceWriter());
  checkErrors(path, parsed.context);
  const runs = field(parsed.value, 'runs');
  const using = text(field(runs, 'using'));
  if (using !== 'composite') return { composite: false, steps: [] };
  return {
    composite: true,
    steps: items(field(runs, 'steps')).map((s) => stepOf(s, path, via, owner)),
  };
}

/** Anything the parser throws that is not ours (a stack overflow on deep nesting…) is still a refusal. */
function refusal(path: string, error: unknown): SathosError {
  if (isSathosError(error)) return error;
  return invalid(
    path,
    undefined,
    undefined,
    `GitHub's parser could not read it (${describeCause(error)})`,
  );
}

/** Parses one workflow file; throws WORKFLOW_INVALID (with file:line) when GitHub would refuse it. */
export async function parseWorkflowFile(
  path: string,
  content: string,
  owner?: string,
): Promise<ParsedWorkflow> {
  try {
    return await readWorkflow(path, content, owner);
  } catch (error) {
    throw refusal(path, error);
  }
}

/** Parses one action.yml; throws WORKFLOW_INVALID (with file:line) when it is not a valid action. */
export function parseActionFile(
  path: string,
  content: string,
  via: readonly string[],
  owner?: string,
): ParsedAction {
  try {
    return readAction(path, content, via, owner);
  } catch (error) {
    throw refusal(path, error);
  }
}
