// Turns JSON-shaped variables into the values CEL reads: objects become maps (so no key can reach
// a prototype), whole numbers become CEL ints, and every list and map spends the decision's time
// budget when iterated. Depth and size are bounded here, once per input; lists and maps are
// wrapped for CEL here too, so evaluating allocates no wrapper per field read.
import type { CelList, CelMap } from '@bufbuild/cel';
import { celList, celMap, isCelList, isCelMap } from '@bufbuild/cel';
import { SathosError } from '../../errors.js';
import { BudgetedList, BudgetedMap } from './budget.js';
import { INPUT_LIMITS } from '../document/limits.js';

/** A value CEL can read; produced only by `celVariables`. */
export type CelVariable = null | boolean | string | number | bigint | CelList | CelMap;

/** Variables ready for evaluation: prepared once, evaluated any number of times. */
export interface CelVariables {
  readonly names: ReadonlySet<string>;
  readonly values: Readonly<Record<string, CelVariable>>;
}

/** CEL identifiers: a top-level key that is not one cannot be named by a rule, so it is skipped. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

interface Walk {
  nodes: number;
  readonly where: string;
}

function invalid(walk: Walk, path: string, message: string): SathosError {
  return new SathosError('POLICY_INPUT_INVALID', `${path} ${message}`, { where: walk.where });
}

function convert(value: unknown, depth: number, path: string, walk: Walk): CelVariable {
  walk.nodes += 1;
  if (walk.nodes > INPUT_LIMITS.maxNodes)
    throw invalid(
      walk,
      'input',
      `holds more than ${INPUT_LIMITS.maxNodes} values; pass only what the policy reads`,
    );
  // Already prepared (a value shared between decisions): its size was counted when it was made.
  if (isCelList(value) || isCelMap(value)) return value;
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'string' ||
    typeof value === 'bigint'
  )
    return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(walk, path, 'is not a finite number');
    return Number.isSafeInteger(value) ? BigInt(value) : value;
  }
  if (typeof value !== 'object')
    throw invalid(walk, path, `is a ${typeof value}, not a JSON value`);
  if (depth >= INPUT_LIMITS.maxDepth)
    throw invalid(walk, path, `nests deeper than ${INPUT_LIMITS.maxDepth} levels`);
  if (Array.isArray(value)) {
    const list = new BudgetedList<CelVariable>();
    value.forEach((item: unknown, i) => list.push(convert(item, depth + 1, `${path}[${i}]`, walk)));
    return celList(list);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw invalid(walk, path, 'is not a plain JSON object');
  const map = new BudgetedMap<string, CelVariable>();
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) map.set(key, convert(item, depth + 1, `${path}.${key}`, walk));
  }
  return celMap(map);
}

/** Prepares named variables (an input's top-level keys) for evaluation; throws POLICY_INPUT_INVALID. */
export function celVariables(
  input: Readonly<Record<string, unknown>>,
  where = 'input',
): CelVariables {
  const walk: Walk = { nodes: 0, where };
  const values: Record<string, CelVariable> = {};
  for (const [name, value] of Object.entries(input)) {
    if (!IDENTIFIER.test(name) || RESERVED.has(name) || value === undefined) continue;
    values[name] = convert(value, 1, name, walk);
  }
  return { names: new Set(Object.keys(values)), values };
}

/** Prepares one JSON value, to share between the variables of many decisions. */
export function celValue(value: unknown, where = 'input'): CelVariable {
  return convert(value, 1, 'value', { nodes: 0, where });
}

/** Parses a JSON input whose top-level keys become variables; throws POLICY_INPUT_INVALID. */
export function parseEvaluationInput(text: string, where: string): CelVariables {
  if (Buffer.byteLength(text) > INPUT_LIMITS.maxBytes) {
    throw new SathosError(
      'POLICY_INPUT_INVALID',
      `input is larger than ${INPUT_LIMITS.maxBytes} bytes`,
      { where },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SathosError(
      'POLICY_INPUT_INVALID',
      'input is not JSON; pass an object whose keys are the variables',
      { where, cause },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SathosError(
      'POLICY_INPUT_INVALID',
      'input must be a JSON object whose keys are the variables',
      { where },
    );
  }
  return celVariables(json as Record<string, unknown>, where);
}

/** The `stage` of every record in `chain.records`, or undefined when the variables have no such list. */
export function chainRecordStages(vars: CelVariables): Set<string> | undefined {
  const chain = vars.values.chain;
  const records = isCelMap(chain) ? chain.get('records') : undefined;
  if (!isCelList(records)) return undefined;
  const stages = new Set<string>();
  for (const record of records) {
    const stage = isCelMap(record) ? record.get('stage') : undefined;
    if (typeof stage === 'string') stages.add(stage);
  }
  return stages;
}
