// One workflow or action file through GitHub's own parser (@actions/workflow-parser): schema
// errors and YAML errors become one clear line with file:line; a valid file becomes the typed
// pieces the posture model is built from. Calls to local actions and workflows are followed by
// collect.ts, which reads them at the same commit.
import type {
  DeclaredPermissions,
  PermissionLevel,
  PermissionScope,
  StepInput,
  StepModel,
  TriggerModel,
} from '@sathos/core';
import {
  PERMISSION_SCOPES,
  SathosError,
  describeCause,
  isSathosError,
  parseUses,
  yamlExpansionProblem,
} from '@sathos/core';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  isBasicExpression,
  isMapping,
  isString,
  parseWorkflow,
} from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context';
import type { At } from './tokens.js';
import { at, contextReads, entries, field, fieldKey, items, text } from './tokens.js';

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

const LEVELS: ReadonlySet<string> = new Set(['read', 'write', 'none']);
const HOSTED_LABEL = /^(?:ubuntu|windows|macos)-[a-z0-9.-]+$/;

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

/** The `permissions:` of a workflow or job mapping, at the line of its key. */
function permissionsOf(parent: TemplateToken | undefined): DeclaredAt | undefined {
  const t = field(parent, 'permissions');
  if (t === undefined) return undefined;
  const line = at(fieldKey(parent, 'permissions')).line;
  if (isString(t) && (t.value === 'read-all' || t.value === 'write-all'))
    return { declared: { kind: t.value }, line };
  const scopes: Partial<Record<PermissionScope, PermissionLevel>> = {};
  for (const [key, value] of entries(t)) {
    const level = text(value);
    if (
      (PERMISSION_SCOPES as readonly string[]).includes(key) &&
      level !== undefined &&
      LEVELS.has(level)
    )
      scopes[key as PermissionScope] = level as PermissionLevel;
  }
  return { declared: { kind: 'mapping', scopes }, line };
}

function secretsOf(t: TemplateToken | undefined): string[] {
  const names = contextReads(t, false)
    .map((r) => r.path)
    .filter((p) => p.startsWith('secrets.'))
    .map((p) => p.slice('secrets.'.length).split('.', 1)[0] ?? '');
  return [...new Set(names.map((n) => (n === '*' ? '*' : n.toUpperCase())))].sort();
}

/** Literal matrix values of `matrix.<name>`, to know which runners a `runs-on: ${{ matrix.os }}` picks. */
function matrixValues(job: TemplateToken, name: string): string[] | undefined {
  const values = field(field(field(job, 'strategy'), 'matrix'), name);
  const list = items(values);
  if (list.length === 0 || list.some((v) => isBasicExpression(v) || !isString(v))) return undefined;
  return list.map((v) => text(v) ?? '');
}

/** Runner labels; a label that cannot be known (an expression, a group) counts as self-hosted. */
function runnerOf(job: TemplateToken): { labels: string[]; selfHosted: boolean } {
  const runsOn = field(job, 'runs-on');
  if (runsOn === undefined) return { labels: [], selfHosted: false };
  const group = field(runsOn, 'group');
  const labelToken = isMapping(runsOn) ? field(runsOn, 'labels') : runsOn;
  const raw =
    labelToken === undefined ? [] : items(labelToken).length > 0 ? items(labelToken) : [labelToken];
  const labels: string[] = [];
  let unknown = group !== undefined;
  for (const token of raw) {
    const label = text(token) ?? '';
    if (!isBasicExpression(token)) {
      labels.push(label);
      continue;
    }
    const m = /^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(label);
    const values = m?.[1] === undefined ? undefined : matrixValues(job, m[1]);
    if (values === undefined) unknown = true;
    labels.push(...(values ?? [label]));
  }
  if (group !== undefined) labels.push(`group:${text(group) ?? ''}`);
  const selfHosted = unknown || labels.some((l) => l === 'self-hosted' || !HOSTED_LABEL.test(l));
  return { labels, selfHosted };
}

function inputOf(t: TemplateToken): StepInput {
  return { text: text(t) ?? '', reads: contextReads(t, true), line: at(t).line };
}

/** A step as written (`uses:`, `run:`, `with:`), in the file it is written in. */
export function stepOf(
  step: TemplateToken,
  file: string,
  via: readonly string[],
  owner?: string,
): StepModel {
  const pos = at(step);
  const usesToken = field(step, 'uses');
  const runToken = field(step, 'run');
  const uses = usesToken === undefined ? undefined : parseUses(text(usesToken) ?? '', false, owner);
  const withs: Record<string, StepInput> = {};
  for (const [key, value] of entries(field(step, 'with')))
    withs[key.toLowerCase()] = inputOf(value);
  const name = text(field(step, 'name'));
  const run = text(runToken);
  return {
    line: pos.line,
    col: pos.col,
    ...(name === undefined ? {} : { name }),
    ...(uses === undefined ? {} : { uses }),
    with: withs,
    ...(run === undefined ? {} : { run }),
    runReads: contextReads(runToken, true),
    file,
    via,
  };
}

function environmentOf(job: TemplateToken): string | undefined {
  const env = field(job, 'environment');
  if (env === undefined) return undefined;
  return isMapping(env) ? text(field(env, 'name')) : text(env);
}

function jobOf(
  id: string,
  key: TemplateToken,
  job: TemplateToken,
  file: string,
  owner?: string,
): ParsedJob {
  const usesToken = field(job, 'uses');
  const permissions = permissionsOf(job);
  const environment = environmentOf(job);
  const runner = runnerOf(job);
  const inherit = text(field(job, 'secrets')) === 'inherit';
  return {
    id,
    at: at(key),
    ...(permissions === undefined ? {} : { permissions }),
    secrets: inherit ? ['*', ...secretsOf(job)] : secretsOf(job),
    ...(environment === undefined ? {} : { environment }),
    runsOn: runner.labels,
    selfHosted: runner.selfHosted,
    ...(usesToken === undefined
      ? {}
      : { calls: { uses: text(usesToken) ?? '', at: at(usesToken) } }),
    steps: items(field(job, 'steps')).map((s) => stepOf(s, file, [], owner)),
  };
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
