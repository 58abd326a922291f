// What GitHub's workflow parser does not bound: it expands every YAML alias as it walks, so a few
// nested anchors (a "billion laughs" file) would hold posture for hours. The file is checked
// here first with the `yaml` library's own expansion limit.
import { LineCounter, parseDocument, visit } from 'yaml';

/** Alias resolutions a workflow may need, counted the way `yaml` counts them (nested ones weigh more). */
export const MAX_YAML_ALIAS_COUNT = 1000;

const ALIAS = /(?:^|[\s,[{])\*[^\s,[\]{}]/m;

export interface YamlProblem {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** A problem when `text` expands its aliases beyond the limit; syntax errors are left to the parser. */
export function yamlExpansionProblem(text: string): YamlProblem | undefined {
  // An alias is `*name` after a space, a line start or a flow indicator; without one, nothing expands.
  if (!ALIAS.test(text)) return undefined;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) return undefined;
  let first: { line: number; col: number } | undefined;
  visit(doc, {
    Alias(_, node) {
      const start = node.range?.[0];
      first = start === undefined ? { line: 1, col: 1 } : lines.linePos(start);
      return visit.BREAK;
    },
  });
  if (first === undefined) return undefined;
  try {
    doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
    return undefined;
  } catch {
    return {
      ...first,
      message: `its YAML aliases expand past ${MAX_YAML_ALIAS_COUNT} resolutions (an alias bomb); write the values out`,
    };
  }
}
