// A workflow file read at a commit, through GitHub's own parser, and checked for what this runner
// can run. Whatever it cannot run faithfully (a matrix, a container, a third-party action, a shell
// other than bash) is refused before anything runs: a construct silently skipped would make a
// passing run prove nothing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { WorkflowTemplate } from '@actions/workflow-parser';
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  isMapping,
  parseWorkflow,
} from '@actions/workflow-parser';
import { SathosError, describeCause, yamlExpansionProblem } from '@sathos/core';
import { MAX_WORKFLOW_BYTES } from '../posture/parse-workflow.js';
import { entries, field, items, text } from '../posture/tokens.js';

const run = promisify(execFile);
const FULL_SHA = /^[0-9a-f]{40}$/;

/** Where a workflow file comes from: a repository's git directory at one commit. */
export interface WorkflowFile {
  /** `owner/name`. */
  readonly repository: string;
  readonly dir: string;
  readonly sha: string;
  /** The ref a `job_workflow_ref` names (`refs/heads/main`, or the sha a caller pinned). */
  readonly ref: string;
  readonly path: string;
}

export interface LoadedWorkflow {
  readonly file: WorkflowFile;
  /** The token tree as written (`with:`, `permissions:`, inputs' defaults live only here). */
  readonly root: TemplateToken;
  /** GitHub's conversion: ids, needs, and `if:` with its implicit `success() &&`. */
  readonly template: WorkflowTemplate;
}

/** The actions the runner emulates, each pinned by a full commit sha as the posture demands. */
export const EMULATED_ACTIONS = [
  'actions/checkout',
  'actions/upload-artifact',
  'actions/download-artifact',
  'actions/setup-node',
];

const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'runs-on',
  'permissions',
  'environment',
  'outputs',
  'env',
  'steps',
  'timeout-minutes',
  'concurrency',
  'uses',
  'with',
  'secrets',
]);
const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'uses',
  'run',
  'with',
  'env',
  'continue-on-error',
  'timeout-minutes',
  'working-directory',
  'shell',
]);
const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'permissions',
  'env',
  'jobs',
  'concurrency',
]);

export function workflowError(where: string, message: string, cause?: unknown): SathosError {
  return new SathosError(
    'WORKFLOW_INVALID',
    `${message.replace(/\.$/, '')}; correct the workflow`,
    {
      where,
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** The file's bytes at the commit, from git objects (never the working tree), bounded. */
export async function readAtCommit(file: WorkflowFile): Promise<string> {
  if (!FULL_SHA.test(file.sha))
    throw workflowError(file.path, `${file.sha} is not a full commit sha`);
  try {
    const { stdout } = await run('git', ['-C', file.dir, 'show', `${file.sha}:${file.path}`], {
      maxBuffer: MAX_WORKFLOW_BYTES,
      encoding: 'utf8',
    });
    return stdout;
  } catch (cause) {
    throw workflowError(
      `${file.repository}/${file.path}@${file.sha}`,
      `the workflow cannot be read at the commit (${describeCause(cause)})`,
      cause,
    );
  }
}

function unsupported(where: string, what: string): SathosError {
  return workflowError(
    where,
    `${what} is not supported by the local runner, which refuses rather than skip it`,
  );
}

function checkKeys(t: TemplateToken | undefined, allowed: ReadonlySet<string>, where: string) {
  for (const [key] of entries(t)) if (!allowed.has(key)) throw unsupported(where, `\`${key}:\``);
}

/** `owner/name@<full sha>` of an emulated action, or a local `./path`; anything else is refused. */
function checkUses(uses: string, where: string): void {
  if (uses.startsWith('./')) return;
  const [name, ref] = uses.split('@');
  if (
    name !== undefined &&
    EMULATED_ACTIONS.includes(name) &&
    ref !== undefined &&
    FULL_SHA.test(ref)
  )
    return;
  throw unsupported(
    where,
    `\`uses: ${uses}\` (only local actions and ${EMULATED_ACTIONS.join(', ')} pinned by full sha)`,
  );
}

function checkStep(step: TemplateToken, where: string): void {
  checkKeys(step, STEP_KEYS, where);
  const shell = text(field(step, 'shell'));
  if (shell !== undefined && shell !== 'bash') throw unsupported(where, `\`shell: ${shell}\``);
  const uses = text(field(step, 'uses'));
  if (uses !== undefined) checkUses(uses, where);
}

function checkJob(id: string, job: TemplateToken, path: string): void {
  const where = `${path} job ${id}`;
  checkKeys(job, JOB_KEYS, where);
  const uses = text(field(job, 'uses'));
  if (
    uses !== undefined &&
    !uses.startsWith('./.github/workflows/') &&
    !/@[0-9a-f]{40}$/.test(uses)
  )
    throw unsupported(where, `\`uses: ${uses}\` (call a local workflow or one pinned by full sha)`);
  items(field(job, 'steps')).forEach((step, i) => {
    checkStep(step, `${where} step ${i + 1}`);
  });
}

async function parse(file: WorkflowFile, content: string): Promise<LoadedWorkflow> {
  const where = `${file.repository}/${file.path}@${file.sha}`;
  const bomb = yamlExpansionProblem(content);
  if (bomb !== undefined) throw workflowError(`${where}:${bomb.line}:${bomb.col}`, bomb.message);
  const parsed = parseWorkflow({ name: file.path, content }, new NoOperationTraceWriter());
  const firstError = () => {
    const e = parsed.context.errors.getErrors()[0];
    if (e === undefined) return;
    const line = e.range === undefined ? '' : `:${e.range.start.line}:${e.range.start.column}`;
    throw workflowError(
      `${where}${line}`,
      (e.rawMessage.split('\n', 1)[0] ?? '').replace(/:$/, ''),
    );
  };
  firstError();
  const root = parsed.value;
  if (root === undefined || !isMapping(root)) throw workflowError(where, 'the workflow is empty');
  const template = await convertWorkflowTemplate(parsed.context, root);
  firstError();
  const conversion = template.errors?.[0];
  if (conversion !== undefined) throw workflowError(where, conversion.Message);
  checkKeys(root, WORKFLOW_KEYS, where);
  for (const [id, job] of entries(field(root, 'jobs'))) checkJob(id, job, where);
  return { file, root, template };
}

/** Reads, parses and checks one workflow; throws WORKFLOW_INVALID naming the file and line. */
export async function loadWorkflow(file: WorkflowFile): Promise<LoadedWorkflow> {
  const content = await readAtCommit(file);
  try {
    return await parse(file, content);
  } catch (error) {
    if (error instanceof SathosError) throw error;
    throw workflowError(
      `${file.repository}/${file.path}@${file.sha}`,
      `GitHub's parser could not read it (${describeCause(error)})`,
      error,
    );
  }
}
