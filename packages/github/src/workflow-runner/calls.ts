// A job that calls another workflow (`uses: ./.github/workflows/x.yml`, or `owner/name/path@sha` of
// a repository the runner was given): the called file is read at the same commit (local) or the
// pinned one, its `workflow_call` inputs checked and defaulted, secrets passed as written
// (`inherit` or by name), and its outputs read from its jobs when they are done.
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { ReusableWorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import { isMapping } from '@actions/workflow-parser';
import { asText, evaluateMapping, evaluateToken, type Contexts, type Json } from './expressions.js';
import { entries, field, text } from '../posture/tokens.js';
import { loadWorkflow, workflowError, type LoadedWorkflow, type WorkflowFile } from './load.js';

/** The file a job's `uses:` names, relative to the calling workflow's own file. */
export function calledFile(
  uses: string,
  caller: WorkflowFile,
  repositories: Readonly<Record<string, string>>,
  where: string,
): WorkflowFile {
  if (uses.startsWith('./')) return { ...caller, path: uses.slice(2) };
  const match = /^([^/]+\/[^/]+)\/(.+)@([0-9a-f]{40})$/.exec(uses);
  const dir = match === null ? undefined : repositories[match[1] ?? ''];
  if (match === null || dir === undefined)
    throw workflowError(
      where,
      `the runner was given no repository for \`uses: ${uses}\`; pass it in \`repositories\``,
    );
  const [, repository = '', path = '', sha = ''] = match;
  return { repository, dir, sha, ref: sha, path };
}

export async function loadCalled(
  job: ReusableWorkflowJob,
  caller: LoadedWorkflow,
  repositories: Readonly<Record<string, string>>,
): Promise<LoadedWorkflow> {
  const where = `${caller.file.path} job ${job.id.value}`;
  const called = await loadWorkflow(calledFile(job.ref.value, caller.file, repositories, where));
  if (
    field(field(called.root, 'on'), 'workflow_call') === undefined &&
    text(field(called.root, 'on')) !== 'workflow_call'
  )
    throw workflowError(
      where,
      `${called.file.path} has no workflow_call trigger, so it cannot be called`,
    );
  return called;
}

function typed(value: Json, type: string, name: string, where: string): Json {
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
  } else if (type === 'number') {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      return Number(value);
  } else return asText(value);
  throw workflowError(where, `input ${name} must be a ${type}`);
}

/** The called workflow's `inputs` context: what the caller passed, checked, with defaults. */
export function callInputs(
  rawJob: TemplateToken | undefined,
  called: LoadedWorkflow,
  contexts: Contexts,
  where: string,
): Record<string, Json> {
  const declared = field(field(field(called.root, 'on'), 'workflow_call'), 'inputs');
  const given: Record<string, Json> = {};
  for (const [name, value] of entries(field(rawJob, 'with')))
    given[name] = evaluateToken(value, contexts, { succeeded: true }, where);
  const names = new Set(entries(declared).map(([name]) => name));
  const unknown = Object.keys(given).find((name) => !names.has(name));
  if (unknown !== undefined)
    throw workflowError(where, `input ${unknown} is not declared by ${called.file.path}`);
  const out: Record<string, Json> = {};
  for (const [name, spec] of entries(declared)) {
    const type = text(field(spec, 'type')) ?? 'string';
    const value =
      name in given
        ? given[name]
        : evaluateToken(field(spec, 'default'), contexts, { succeeded: true }, where);
    if (value === null || value === undefined) {
      if (text(field(spec, 'required')) === 'true')
        throw workflowError(where, `required input ${name} of ${called.file.path} is not given`);
      out[name] = type === 'boolean' ? false : type === 'number' ? 0 : '';
      continue;
    }
    out[name] = typed(value, type, name, where);
  }
  return out;
}

/** The called workflow's `secrets` context: all of them with `inherit`, else those named. */
export function callSecrets(
  rawJob: TemplateToken | undefined,
  secrets: Record<string, string>,
  contexts: Contexts,
  where: string,
): Record<string, string> {
  const given = field(rawJob, 'secrets');
  if (given === undefined) return {};
  if (!isMapping(given)) return text(given) === 'inherit' ? { ...secrets } : {};
  return evaluateMapping(given, contexts, { succeeded: true }, where);
}

/** The called workflow's outputs, each `value:` evaluated over its jobs' results and outputs. */
export function callOutputs(
  called: LoadedWorkflow,
  jobs: Record<string, Json>,
  where: string,
): Record<string, string> {
  const declared = field(field(field(called.root, 'on'), 'workflow_call'), 'outputs');
  const out: Record<string, string> = {};
  for (const [name, spec] of entries(declared))
    out[name] = asText(evaluateToken(field(spec, 'value'), { jobs }, { succeeded: true }, where));
  return out;
}
