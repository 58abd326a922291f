// Reads policy YAML into plain values while keeping each node's position, so every problem found
// later can say where it is. Hostile YAML (oversized, alias bombs, duplicate keys) is refused here.
import type { Document, Node } from 'yaml';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { PolicyPath, PolicyProblem } from './problem.js';
import { PolicyInvalidError, pathText, problem } from './problem.js';
import { POLICY_LIMITS } from './limits.js';

export interface PolicyYaml {
  readonly value: unknown;
  /** Puts a position on a problem: its node's, else its nearest ancestor's. */
  readonly locate: (p: PolicyProblem) => PolicyProblem;
}

type Position = { line: number; col: number };

/** The node at `path`, or the deepest one on the way; a key's node when the path ends at a key. */
function nodeAt(doc: Document, path: PolicyPath, atKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (const [i, part] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === part);
      if (pair === undefined) return node;
      node = (atKey && i === path.length - 1 ? pair.key : pair.value) ?? pair.key;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) return node;
      node = item;
    } else break;
  }
  return isPair(node) ? undefined : (node as Node | undefined);
}

function positionOf(node: Node | undefined, lines: LineCounter): Position | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lines.linePos(start);
}

/**
 * The paths of values JSON cannot hold: YAML tags such as !!set, !!omap, !!binary and !!timestamp
 * read as Set, Map, bytes or Date, which the schema checks would mistake for empty objects.
 */
function nonJsonPaths(value: unknown, path: PolicyPath, out: PolicyPath[]): PolicyPath[] {
  if (typeof value === 'number' && !Number.isFinite(value)) out.push(path);
  if (typeof value !== 'object' || value === null) return out;
  if (Array.isArray(value)) value.forEach((v, i) => nonJsonPaths(v, [...path, i], out));
  else if (Object.getPrototypeOf(value) !== Object.prototype) out.push(path);
  else for (const [k, v] of Object.entries(value)) nonJsonPaths(v, [...path, k], out);
  return out;
}

/** The property name toJS gives a scalar key, when it is a plain value. */
function keyName(value: unknown): string | undefined {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return undefined;
}

function refuse(uri: string, message: string, at?: Position): never {
  throw new PolicyInvalidError(uri, [{ ...problem([], message), ...(at ?? {}) }]);
}

/** Parses one YAML document; throws PolicyInvalidError naming every syntax error's position. */
export function readPolicyYaml(text: string, uri: string): PolicyYaml {
  if (Buffer.byteLength(text) > POLICY_LIMITS.maxBytes) {
    refuse(
      uri,
      `policy is larger than ${POLICY_LIMITS.maxBytes} bytes; split it or remove what it does not need`,
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PolicyInvalidError(
      uri,
      doc.errors.map((e) => ({
        ...problem([], `not valid YAML: ${e.message.split('\n', 1)[0] ?? ''}`),
        ...lines.linePos(e.pos[0]),
      })),
    );
  }
  const sameKeys: PolicyProblem[] = [];
  visit(doc, {
    Map(_, map) {
      const names = new Set<string>();
      for (const { key } of map.items) {
        // toJS names a property String(key): 1 and "1", or 0x10 and 16, become one key.
        const name = isScalar(key) ? keyName(key.value) : undefined;
        if (name === undefined || !names.has(name)) {
          if (name !== undefined) names.add(name);
          continue;
        }
        sameKeys.push({
          ...problem(
            [],
            `key "${name}" appears twice in one mapping (written differently); keep one`,
          ),
          ...positionOf(key as Node, lines),
        });
      }
    },
  });
  if (sameKeys.length > 0) throw new PolicyInvalidError(uri, sameKeys);
  let aliases = 0;
  let firstAlias: Position | undefined;
  visit(doc, {
    Alias(_, node) {
      aliases += 1;
      firstAlias ??= positionOf(node, lines);
      return aliases > POLICY_LIMITS.maxAliases ? visit.BREAK : undefined;
    },
  });
  if (aliases > POLICY_LIMITS.maxAliases) {
    refuse(
      uri,
      `policy uses more than ${POLICY_LIMITS.maxAliases} YAML aliases; write it out plainly`,
      firstAlias,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: POLICY_LIMITS.maxAliases });
  } catch {
    refuse(uri, 'policy expands too many YAML aliases; write it out plainly', firstAlias);
  }
  const locate = (p: PolicyProblem): PolicyProblem => {
    const at = positionOf(nodeAt(doc, p.path, p.atKey === true), lines);
    return at === undefined ? p : { ...p, ...at };
  };
  const nonJson = nonJsonPaths(value, [], []);
  if (nonJson.length > 0) {
    throw new PolicyInvalidError(
      uri,
      nonJson.map((path) =>
        locate(
          problem(
            path,
            `${pathText(path) || 'the policy'} is not plain YAML data (a set, ordered map, binary, timestamp or non-finite number); write it as a mapping, list, text, number or true/false`,
          ),
        ),
      ),
    );
  }
  return { value, locate };
}
