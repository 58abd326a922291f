// The chain of custody as a Mermaid flowchart for a job summary: one node a record — its stage, its
// signer and its verdict — in chain order. Signers and stages come from bundles anyone can write,
// so every label is reduced to text Mermaid cannot read as syntax (no quotes, brackets, fences or
// markup survive) and bounded in length.
import { SathosError } from '../../errors.js';
import { describeSigner } from '../../identity/signers/signer-identity.js';
import type { ChainLine } from '../chain/chain.js';
import type { BundleChecker, ChainVerification } from '../chain/verify-chain.js';
import { TRANSITION_PREDICATE_TYPE } from '../record/transition.js';

/**
 * `verified`: the record passed with the whole chain. `signed`: its own signature verified but the
 * chain was rejected, so it is not trusted. `failed`: the record the rejection names, or one whose
 * bundle does not verify at all.
 */
export type CustodyVerdict = 'verified' | 'signed' | 'failed';

export interface CustodyNode {
  readonly stage: string;
  readonly signer: string;
  readonly verdict: CustodyVerdict;
  /** Where the record is, e.g. `chain.jsonl line 3`. */
  readonly where: string;
}

const LABEL_MAX = 80;
const MARK: Record<CustodyVerdict, string> = {
  verified: '✅ verified',
  signed: '⚠️ signed, chain rejected',
  failed: '❌ failed',
};

/** Text safe inside a quoted Mermaid label: Mermaid's entity codes for what it would parse. */
export function mermaidText(text: string): string {
  // Control characters (newlines above all) would end the label's line: each becomes a space.
  const flat = Array.from(text, (c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' ? ' ' : c)).join(
    '',
  );
  const short = flat.length > LABEL_MAX ? `${flat.slice(0, LABEL_MAX - 1)}…` : flat;
  return short.replace(/[#"<>`&[\]{}()|;\\]/g, (c) => `#${c.charCodeAt(0)};`);
}

/** The Mermaid source: `flowchart TD`, a node a record, arrows in chain order, classes by verdict. */
export function custodyFlowchart(nodes: readonly CustodyNode[]): string {
  const lines = ['flowchart TD'];
  nodes.forEach((n, i) => {
    const label = [n.stage, n.signer, MARK[n.verdict]].map(mermaidText).join('<br/>');
    lines.push(`  r${i}["${label}"]`);
  });
  for (let i = 1; i < nodes.length; i += 1) lines.push(`  r${i - 1} --> r${i}`);
  lines.push('  classDef verified fill:#d4f8d4,stroke:#2a7a2a');
  lines.push('  classDef signed fill:#fff3c4,stroke:#9a7a00');
  lines.push('  classDef failed fill:#ffd6d6,stroke:#b00020');
  nodes.forEach((n, i) => lines.push(`  class r${i} ${n.verdict}`));
  return lines.join('\n');
}

/** The nodes of a chain that verified: every record, verified. */
export function verifiedNodes(result: ChainVerification): CustodyNode[] {
  return result.records.map((r) => ({
    stage: r.stage,
    signer: describeSigner(r.signer),
    verdict: 'verified',
    where: r.where,
  }));
}

function stageOf(statement: unknown): string | undefined {
  if (typeof statement !== 'object' || statement === null) return undefined;
  const s = statement as { predicateType?: unknown; predicate?: { stage?: unknown } };
  if (s.predicateType !== TRANSITION_PREDICATE_TYPE) return undefined;
  return typeof s.predicate?.stage === 'string' ? s.predicate.stage : undefined;
}

/** `chain line 1` names line 1, also as `chain line 1: …`, but never line 10. */
function names(failedWhere: string, where: string): boolean {
  return (
    failedWhere === where ||
    (failedWhere.startsWith(where) && !/^\d/.test(failedWhere.slice(where.length)))
  );
}

/**
 * The nodes of a chain that was rejected: each transition record's own bundle checked alone (never
 * trusted: at best `signed`), the one the rejection names marked failed, evidence left out.
 */
export function rejectedNodes(
  lines: readonly ChainLine[],
  checker: BundleChecker,
  rejection: unknown,
  source: string,
): CustodyNode[] {
  const failedWhere = rejection instanceof SathosError ? rejection.where : undefined;
  const nodes: CustodyNode[] = [];
  for (const line of lines) {
    const where = `${source} line ${line.line}`;
    try {
      const checked = checker.verify(line.bundle, { where });
      const stage = stageOf(checked.statement);
      if (stage === undefined) continue;
      const named = failedWhere !== undefined && names(failedWhere, where);
      const verdict = named ? 'failed' : 'signed';
      nodes.push({ stage, signer: describeSigner(checked.signer), verdict, where });
    } catch (error) {
      const reason = error instanceof SathosError ? error.code : 'unreadable';
      nodes.push({ stage: '?', signer: `bundle rejected: ${reason}`, verdict: 'failed', where });
    }
  }
  return nodes;
}
