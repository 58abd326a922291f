// A job and its steps read from the parser's tokens, as written: the `permissions:` block, the
// secrets read, the runner labels (self-hosted unless provably GitHub-hosted), the environment, and
// each step's `uses:`, `run:` and `with:` with the contexts they read.
import type { PermissionLevel, PermissionScope, StepInput, StepModel } from '@sathos/core';
import { PERMISSION_SCOPES, parseUses } from '@sathos/core';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { isBasicExpression, isMapping, isString } from '@actions/workflow-parser';
import type { DeclaredAt, ParsedJob } from './parse-workflow.js';
import { at, contextReads, entries, field, fieldKey, items, text } from './tokens.js';

const LEVELS: ReadonlySet<string> = new Set(['read', 'write', 'none']);
const HOSTED_LABEL = /^(?:ubuntu|windows|macos)-[a-z0-9.-]+$/;

/** The `permissions:` of a workflow or job mapping, at the line of its key. */
export function permissionsOf(parent: TemplateToken | undefined): DeclaredAt | undefined {
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

export function secretsOf(t: TemplateToken | undefined): string[] {
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

export function jobOf(
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
