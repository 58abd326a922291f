// One step as the runner runs it: its `if:`, its environment (workflow, job, step, and what earlier
// steps exported), then a `run:` script through bash, a local node action from its `dist/`
// (INPUT_* from `with:` and the action's defaults), or an emulated first-party action; then the
// outputs it wrote to GITHUB_OUTPUT. Any error of the runner's own fails the step, never passes it.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { Step } from '@actions/workflow-parser/model/workflow-template';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { SathosError, describeCause, isSathosError } from '@sathos/core';
import { runEmulated, jobPath, type EmulationContext } from './emulated.js';
import {
  asText,
  evaluateMapping,
  evaluateToken,
  truthy,
  type Contexts,
  type Json,
} from './expressions.js';
import { parseFileCommands } from './file-commands.js';
import { entries, field, text } from '../posture/tokens.js';
import { runProcess, type ProcessResult } from './process.js';

export type Outcome = 'success' | 'failure' | 'skipped';

export interface StepResult {
  readonly id: string;
  readonly outcome: Outcome;
  readonly conclusion: Outcome;
  readonly outputs: Record<string, string>;
  readonly errors: readonly string[];
}

/** What every step of one job shares; `exported` and `contexts.steps` grow as steps run. */
export interface JobScope {
  readonly name: string;
  readonly contexts: Contexts & { steps: Record<string, Json> };
  /** The runner's variables: GITHUB_*, RUNNER_*, the OIDC request pair when granted, PATH, HOME. */
  readonly runnerEnv: Record<string, string>;
  /** Workflow env then job env, evaluated. */
  readonly jobEnv: Record<string, string>;
  /** What steps wrote to GITHUB_ENV. */
  readonly exported: Record<string, string>;
  readonly emulation: EmulationContext;
  readonly summaryFile: string;
  readonly stepTimeoutMs: number;
  /** When the job's `timeout-minutes` runs out (ms since the epoch); every step is killed by then. */
  readonly deadline: number;
  readonly log: (line: string) => void;
}

const FULL_USES = /^([^@]+)@[0-9a-f]{40}$/;

function inputName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

interface LocalAction {
  readonly main: string;
  readonly inputs: [string, TemplateToken | undefined][];
}

async function readLocalAction(dir: string, where: string): Promise<LocalAction> {
  let content: string | undefined;
  let file = 'action.yml';
  for (const name of ['action.yml', 'action.yaml']) {
    content = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    file = name;
    if (content !== undefined) break;
  }
  if (content === undefined)
    throw new SathosError('WORKFLOW_INVALID', `no action.yml in ${dir}`, { where });
  const parsed = parseAction({ name: file, content }, new NoOperationTraceWriter());
  const problem = parsed.context.errors.getErrors()[0];
  if (problem !== undefined)
    throw new SathosError(
      'WORKFLOW_INVALID',
      `${dir}/${file} is not a valid action: ${problem.rawMessage}`,
      { where },
    );
  const runs = field(parsed.value, 'runs');
  const using = text(field(runs, 'using')) ?? '';
  const extra = ['pre', 'post'].find((k) => field(runs, k) !== undefined);
  if (!/^node(20|24)$/.test(using) || extra !== undefined)
    throw new SathosError(
      'WORKFLOW_INVALID',
      `${dir}: only node20/node24 actions without pre/post steps run locally (using: ${using}${extra === undefined ? '' : `, ${extra}:`})`,
      { where },
    );
  const inputs = entries(field(parsed.value, 'inputs')).map(
    ([name, spec]): [string, TemplateToken | undefined] => [name, field(spec, 'default')],
  );
  return { main: join(dir, text(field(runs, 'main')) ?? ''), inputs };
}

function actionInputs(
  action: LocalAction,
  withs: Record<string, string>,
  scope: JobScope,
  where: string,
) {
  const declared = new Set(action.inputs.map(([name]) => name.toLowerCase()));
  // GitHub passes an input the action does not declare, with a warning; so does the runner.
  for (const name of Object.keys(withs).filter((n) => !declared.has(n.toLowerCase())))
    scope.log(`::warning::${where}: input ${name} is not one the action declares`);
  const env: Record<string, string> = {};
  for (const [name, fallback] of action.inputs) {
    const given = Object.entries(withs).find(([key]) => key.toLowerCase() === name.toLowerCase());
    const value =
      given?.[1] ??
      (fallback === undefined
        ? undefined
        : asText(evaluateToken(fallback, scope.contexts, { succeeded: true }, where)));
    if (value !== undefined) env[inputName(name)] = value;
  }
  for (const [name, value] of Object.entries(withs))
    if (!declared.has(name.toLowerCase())) env[inputName(name)] = value;
  return env;
}

interface Execution {
  readonly step: Step;
  readonly raw: TemplateToken;
  readonly where: string;
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly timeoutMs: number;
}

async function execute(x: Execution, scope: JobScope): Promise<ProcessResult> {
  const withs = evaluateMapping(field(x.raw, 'with'), scope.contexts, { succeeded: true }, x.where);
  const uses = 'uses' in x.step ? x.step.uses.value : undefined;
  const proc = { cwd: x.cwd, env: x.env, timeoutMs: x.timeoutMs, log: scope.log };
  if (uses === undefined) {
    const script = asText(
      evaluateToken(field(x.raw, 'run'), scope.contexts, { succeeded: true }, x.where),
    );
    const file = join(
      x.env.RUNNER_TEMP ?? scope.emulation.dirs.temp,
      `step-${x.step.id}-${Date.now()}.sh`,
    );
    await writeFile(file, script, { mode: 0o600 });
    return runProcess({
      ...proc,
      command: 'bash',
      args: ['--noprofile', '--norc', '-eo', 'pipefail', file],
    });
  }
  const pinned = FULL_USES.exec(uses);
  if (pinned !== null) {
    await runEmulated(pinned[1] ?? '', withs, scope.emulation, x.where, x.env.PATH ?? '');
    return { exitCode: 0, timedOut: false, errors: [] };
  }
  const action = await readLocalAction(jobPath(scope.emulation.dirs, uses, x.where), x.where);
  const inputs = actionInputs(action, withs, scope, x.where);
  return runProcess({
    ...proc,
    env: { ...x.env, ...inputs },
    command: process.execPath,
    args: [action.main],
  });
}

async function stepFiles(scope: JobScope, index: number) {
  const dir = join(scope.emulation.dirs.temp, '_runner_file_commands', String(index));
  await mkdir(dir, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_STATE: join(dir, 'state'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  return files;
}

/** Reads what the step wrote for later steps; a GITHUB_PATH entry is refused (not emulated). */
async function collect(
  files: Awaited<ReturnType<typeof stepFiles>>,
  scope: JobScope,
  where: string,
) {
  const read = (f: string) => readFile(f, 'utf8');
  const outputs = parseFileCommands(await read(files.GITHUB_OUTPUT), `${where} GITHUB_OUTPUT`);
  Object.assign(
    scope.exported,
    parseFileCommands(await read(files.GITHUB_ENV), `${where} GITHUB_ENV`),
  );
  if ((await read(files.GITHUB_PATH)).trim() !== '')
    throw new SathosError('WORKFLOW_INVALID', 'GITHUB_PATH is not emulated by the local runner', {
      where,
    });
  await appendFile(scope.summaryFile, await read(files.GITHUB_STEP_SUMMARY));
  return outputs;
}

function stepTimeout(raw: TemplateToken, scope: JobScope, where: string): number {
  const minutes = evaluateToken(
    field(raw, 'timeout-minutes'),
    scope.contexts,
    { succeeded: true },
    where,
  );
  const own = typeof minutes === 'number' && minutes > 0 ? minutes * 60_000 : scope.stepTimeoutMs;
  return Math.max(1, Math.min(own, scope.stepTimeoutMs, scope.deadline - Date.now()));
}

/** Runs step `index` of the job; `succeeded` is whether every earlier step succeeded. */
export async function runStep(
  step: Step,
  raw: TemplateToken,
  index: number,
  scope: JobScope,
  succeeded: boolean,
): Promise<StepResult> {
  const where = `${scope.name} step ${index + 1}${text(field(raw, 'name')) === undefined ? '' : ` (${text(field(raw, 'name'))})`}`;
  const status = { succeeded };
  const base = { id: step.id, outputs: {} as Record<string, string> };
  let errors: string[] = [];
  let outcome: Outcome;
  try {
    const condition = 'if' in step ? (step.if as TemplateToken | undefined) : undefined;
    const go =
      condition === undefined
        ? succeeded
        : truthy(evaluateToken(condition, scope.contexts, status, where));
    if (!go) return { ...base, outcome: 'skipped', conclusion: 'skipped', errors: [] };
    scope.log(`▶ ${where}`);
    const files = await stepFiles(scope, index);
    const contexts = { ...scope.contexts, env: { ...scope.jobEnv, ...scope.exported } };
    const stepEnv = evaluateMapping(field(raw, 'env'), contexts, status, where);
    const env = { ...scope.runnerEnv, ...scope.jobEnv, ...scope.exported, ...stepEnv, ...files };
    const dir = text(field(raw, 'working-directory'));
    const cwd =
      dir === undefined
        ? scope.emulation.dirs.workspace
        : jobPath(scope.emulation.dirs, dir, where);
    const result = await execute(
      { step, raw, where, env, cwd, timeoutMs: stepTimeout(raw, scope, where) },
      { ...scope, contexts: { ...contexts, steps: scope.contexts.steps } },
    );
    base.outputs = await collect(files, scope, where);
    errors = [...result.errors];
    if (result.timedOut) errors.push(`${where} ran past its timeout and was killed`);
    outcome = result.exitCode === 0 && !result.timedOut ? 'success' : 'failure';
    if (outcome === 'failure' && errors.length === 0)
      errors.push(`${where} exited with status ${result.exitCode}`);
  } catch (error) {
    outcome = 'failure';
    errors.push(
      isSathosError(error)
        ? `${error.code}: ${error.message}${error.where === undefined ? '' : ` (${error.where})`}`
        : `${where}: ${describeCause(error)}`,
    );
  }
  let keepGoing = false;
  try {
    keepGoing = truthy(
      evaluateToken(field(raw, 'continue-on-error'), scope.contexts, status, where),
    );
  } catch (error) {
    errors.push(`continue-on-error: ${describeCause(error)}`);
    outcome = 'failure';
  }
  return {
    ...base,
    outcome,
    conclusion: outcome === 'failure' && keepGoing ? 'success' : outcome,
    errors,
  };
}
