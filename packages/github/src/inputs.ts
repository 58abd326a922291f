// Action inputs with the runner's semantics (@actions/core getInput / getBooleanInput), read from an
// environment handed in, so a test passes a plain object and the action passes process.env.
import { SathosError } from '@sathos/core';

export type Env = Readonly<Record<string, string | undefined>>;

/** The environment variable the runner sets for an input: `INPUT_` + name, spaces as `_`, upper case. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export interface InputOptions {
  /** An empty or absent value is a usage error naming the input. */
  readonly required?: boolean;
}

/** The trimmed value, or undefined when the input is empty or absent (and not required). */
export function getInput(env: Env, name: string, options: InputOptions = {}): string | undefined {
  const value = (env[inputVariable(name)] ?? '').trim();
  if (value !== '') return value;
  if (options.required === true) {
    throw new SathosError('USAGE', `input "${name}" is required; set it in the step's with:`);
  }
  return undefined;
}

const YAML_TRUE = new Set(['true', 'True', 'TRUE']);
const YAML_FALSE = new Set(['false', 'False', 'FALSE']);

/** YAML 1.2 core-schema booleans only (true/True/TRUE, false/False/FALSE); anything else is an error. */
export function getBooleanInput(env: Env, name: string, fallback: boolean): boolean {
  const value = getInput(env, name);
  if (value === undefined) return fallback;
  if (YAML_TRUE.has(value)) return true;
  if (YAML_FALSE.has(value)) return false;
  throw new SathosError(
    'USAGE',
    `input "${name}" is "${value}", not a YAML 1.2 boolean; use true or false`,
  );
}

/** One item per non-empty line, or per comma when `commas` is set; each trimmed. */
export function getListInput(env: Env, name: string, commas = false): string[] {
  const value = getInput(env, name) ?? '';
  return value
    .split(commas ? /[\n,]/ : /\n/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Exactly one of a choice: a closed set of allowed values. */
export function getChoiceInput<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = getInput(env, name);
  if (value === undefined) return fallback;
  const choice = choices.find((c) => c === value);
  if (choice === undefined) {
    throw new SathosError(
      'USAGE',
      `input "${name}" is "${value}"; use one of ${choices.map((c) => `"${c}"`).join(', ')}`,
    );
  }
  return choice;
}

/** Fails naming the inputs when more than one of a mutually exclusive group is set. */
export function assertExclusive(env: Env, names: readonly string[]): void {
  const set = names.filter((name) => getInput(env, name) !== undefined);
  if (set.length > 1) {
    throw new SathosError(
      'USAGE',
      `inputs ${set.map((n) => `"${n}"`).join(' and ')} are mutually exclusive; set only one`,
    );
  }
}
