// Reads the two inputs of an action.yml — the shared template and one action's action.src.yml —
// into typed values, collecting every problem and throwing once with all of them.
import { parse } from 'yaml';

/** One `inputs:` entry of an action.yml. */
export interface ActionInput {
  description: string;
  required?: boolean;
  default?: string | number | boolean;
  deprecationMessage?: string;
}

/** One `outputs:` entry of an action.yml. */
export interface ActionOutput {
  description: string;
}

/** A shared input an action takes, with the fields it overrides. */
export interface SharedInputUse {
  name: string;
  required?: boolean;
  default?: string | number | boolean;
}

/** The parsed action-template.yml. */
export interface ActionTemplate {
  author: string;
  branding: Record<string, unknown>;
  inputs: Map<string, ActionInput>;
  runs: Record<string, unknown>;
}

/** The parsed actions/<name>/action.src.yml. */
export interface ActionSource {
  name: string;
  description: string;
  sharedInputs: SharedInputUse[];
  inputs: Map<string, ActionInput>;
  outputs: Map<string, ActionOutput>;
}

type Problems = string[];

const INPUT_KEYS = new Set(['description', 'required', 'default', 'deprecationMessage']);
const OVERRIDE_KEYS = new Set(['required', 'default']);
const SOURCE_KEYS = new Set(['name', 'description', 'shared-inputs', 'inputs', 'outputs']);
const TEMPLATE_KEYS = new Set(['author', 'branding', 'inputs', 'runs']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return ['string', 'number', 'boolean'].includes(typeof value);
}

function nonEmptyString(value: unknown, where: string, problems: Problems): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  problems.push(`${where} must be a non-empty string`);
  return '';
}

function unknownKeys(
  value: Record<string, unknown>,
  allowed: Set<string>,
  where: string,
): Problems {
  return Object.keys(value)
    .filter((key) => !allowed.has(key))
    .map((key) => `${where} has unknown key "${key}"`);
}

// `required` and `default` are the two fields both inputs and overrides may carry.
function readFlags(raw: Record<string, unknown>, where: string, problems: Problems) {
  const flags: { required?: boolean; default?: string | number | boolean } = {};
  if (raw['required'] !== undefined) {
    if (typeof raw['required'] === 'boolean') flags.required = raw['required'];
    else problems.push(`${where}.required must be true or false`);
  }
  if (raw['default'] !== undefined) {
    if (isScalar(raw['default'])) flags.default = raw['default'];
    else problems.push(`${where}.default must be a string, number or boolean`);
  }
  return flags;
}

function readInput(raw: unknown, where: string, problems: Problems): ActionInput {
  if (!isRecord(raw)) {
    problems.push(`${where} must be a map`);
    return { description: '' };
  }
  problems.push(...unknownKeys(raw, INPUT_KEYS, where));
  const input: ActionInput = {
    description: nonEmptyString(raw['description'], `${where}.description`, problems),
    ...readFlags(raw, where, problems),
  };
  if (raw['deprecationMessage'] !== undefined) {
    input.deprecationMessage = nonEmptyString(
      raw['deprecationMessage'],
      `${where}.deprecationMessage`,
      problems,
    );
  }
  return input;
}

function readMap<T>(
  raw: unknown,
  where: string,
  problems: Problems,
  readItem: (item: unknown, where: string, problems: Problems) => T,
): Map<string, T> {
  const map = new Map<string, T>();
  if (raw === undefined || raw === null) return map;
  if (!isRecord(raw)) {
    problems.push(`${where} must be a map`);
    return map;
  }
  for (const [key, item] of Object.entries(raw))
    map.set(key, readItem(item, `${where}.${key}`, problems));
  return map;
}

function readOutput(raw: unknown, where: string, problems: Problems): ActionOutput {
  if (!isRecord(raw)) {
    problems.push(`${where} must be a map`);
    return { description: '' };
  }
  problems.push(...unknownKeys(raw, new Set(['description']), where));
  return { description: nonEmptyString(raw['description'], `${where}.description`, problems) };
}

function readSharedUse(
  raw: unknown,
  where: string,
  problems: Problems,
): SharedInputUse | undefined {
  if (typeof raw === 'string' && raw !== '') return { name: raw };
  const entries = isRecord(raw) ? Object.entries(raw) : [];
  const [entry] = entries;
  if (entry === undefined || entries.length !== 1 || !isRecord(entry[1])) {
    problems.push(`${where} must be an input name or a one-key map of name to overrides`);
    return undefined;
  }
  const [name, overrides] = entry;
  problems.push(...unknownKeys(overrides, OVERRIDE_KEYS, `${where}.${name}`));
  return { name, ...readFlags(overrides, `${where}.${name}`, problems) };
}

function readSharedUses(raw: unknown, where: string, problems: Problems): SharedInputUse[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${where} must be a list`);
    return [];
  }
  return raw.flatMap(
    (item: unknown, index) => readSharedUse(item, `${where}[${index}]`, problems) ?? [],
  );
}

function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text, { prettyErrors: false });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `${file} is not valid YAML (${detail ?? ''}); fix the syntax and run npm run build`,
      {
        cause: error,
      },
    );
  }
}

function throwIfAny(problems: Problems, file: string): void {
  if (problems.length > 0) {
    throw new Error(`${file}: ${problems.join('; ')}; fix it and run npm run build`);
  }
}

/** Parses action-template.yml; `file` names it in errors. */
export function parseTemplate(text: string, file: string): ActionTemplate {
  const raw = parseYaml(text, file);
  const problems: Problems = [];
  if (!isRecord(raw)) throw new Error(`${file} must be a YAML map; restore it from git`);
  problems.push(...unknownKeys(raw, TEMPLATE_KEYS, 'template'));
  const author = nonEmptyString(raw['author'], 'author', problems);
  const { branding, runs } = raw;
  if (!isRecord(branding)) problems.push('branding must be a map');
  if (!isRecord(runs)) problems.push('runs must be a map');
  const inputs = readMap(raw['inputs'], 'inputs', problems, readInput);
  throwIfAny(problems, file);
  return {
    author,
    branding: branding as Record<string, unknown>,
    inputs,
    runs: runs as Record<string, unknown>,
  };
}

/** Parses one actions/<name>/action.src.yml; `file` names it in errors. */
export function parseActionSource(text: string, file: string): ActionSource {
  const raw = parseYaml(text, file);
  if (!isRecord(raw)) throw new Error(`${file} must be a YAML map with name and description`);
  const problems: Problems = unknownKeys(raw, SOURCE_KEYS, 'source');
  const source: ActionSource = {
    name: nonEmptyString(raw['name'], 'name', problems),
    description: nonEmptyString(raw['description'], 'description', problems),
    sharedInputs: readSharedUses(raw['shared-inputs'], 'shared-inputs', problems),
    inputs: readMap(raw['inputs'], 'inputs', problems, readInput),
    outputs: readMap(raw['outputs'], 'outputs', problems, readOutput),
  };
  throwIfAny(problems, file);
  return source;
}
