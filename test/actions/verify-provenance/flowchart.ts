// Reads back the Mermaid flowchart the action writes, so tests assert its structure (nodes, edges,
// classes) rather than its text. Accepts only the shapes custodyFlowchart emits.
import assert from 'node:assert/strict';

export interface ChartNode {
  readonly id: string;
  readonly stage: string;
  readonly signer: string;
  readonly mark: string;
  readonly verdict: string;
}

export interface Chart {
  readonly nodes: ChartNode[];
  readonly edges: [string, string][];
}

const NODE = /^ {2}(r\d+)\["([^"]*)"\]$/;
const EDGE = /^ {2}(r\d+) --> (r\d+)$/;
const CLASS = /^ {2}class (r\d+) (\w+)$/;
const CLASS_DEF = /^ {2}classDef \w+ [^\n]+$/;

/** Mermaid entity codes (`#34;`) back to text. */
export function decodeEntities(text: string): string {
  return text.replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

export function parseFlowchart(source: string): Chart {
  const [first, ...rest] = source.split('\n');
  assert.equal(first, 'flowchart TD');
  const labels = new Map<string, string[]>();
  const classes = new Map<string, string>();
  const edges: [string, string][] = [];
  for (const line of rest) {
    const node = NODE.exec(line);
    const edge = EDGE.exec(line);
    const klass = CLASS.exec(line);
    if (node?.[1] !== undefined && node[2] !== undefined) {
      labels.set(node[1], node[2].split('<br/>').map(decodeEntities));
    } else if (edge?.[1] !== undefined && edge[2] !== undefined) {
      edges.push([edge[1], edge[2]]);
    } else if (klass?.[1] !== undefined && klass[2] !== undefined) {
      classes.set(klass[1], klass[2]);
    } else {
      assert.match(line, CLASS_DEF, `unexpected line in the flowchart: ${line}`);
    }
  }
  const nodes = [...labels].map(([id, [stage = '', signer = '', mark = '']]) => ({
    id,
    stage,
    signer,
    mark,
    verdict: classes.get(id) ?? '',
  }));
  return { nodes, edges };
}
