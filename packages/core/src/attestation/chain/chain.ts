// A chain is a set of Sigstore bundles, one per JSON line: transition records and the standard
// attestations they point to. Line order carries no meaning; the links rebuild the graph.
import { SathosError } from '../../errors.js';
import { sha256Hex } from '../../digest.js';
import { jsonNestingProblem } from '../../json-nesting.js';
import type { LinkRef, NextLink, TransitionStatement } from '../record/transition.js';
import { TRANSITION_PREDICATE_TYPE, assertTransitionStatement } from '../record/transition.js';
import { STATEMENT_MAX_DEPTH } from '../record/statement.js';
import { nonBlankLines } from './text-lines.js';

/** Limits on a chain file, named so a reader knows what a hostile file costs us at most. */
export const CHAIN_LIMITS = {
  maxBytes: 256 * 1024 * 1024,
  maxLines: 100_000,
  maxLineBytes: 4 * 1024 * 1024,
  /** JSON nesting of one line: a Sigstore bundle nests about six levels. */
  maxLineDepth: 32,
} as const;

export interface ChainLine {
  /** 1-based line number in the file, for messages. */
  readonly line: number;
  readonly bundle: unknown;
}

/** Splits a JSON Lines chain into parsed bundles; blank lines are skipped, anything else must parse. */
export function parseChainText(text: string, source = 'chain'): ChainLine[] {
  if (Buffer.byteLength(text) > CHAIN_LIMITS.maxBytes) {
    throw new SathosError(
      'TOO_LARGE',
      `chain is larger than ${CHAIN_LIMITS.maxBytes} bytes; split it or check it is the right file`,
      { where: source },
    );
  }
  const lines: ChainLine[] = [];
  for (const { text: row, number } of nonBlankLines(text)) {
    const where = `${source} line ${number}`;
    if (lines.length >= CHAIN_LIMITS.maxLines) {
      throw new SathosError('TOO_LARGE', `chain has more than ${CHAIN_LIMITS.maxLines} bundles`, {
        where,
      });
    }
    if (row.length > CHAIN_LIMITS.maxLineBytes) {
      throw new SathosError(
        'TOO_LARGE',
        `bundle is larger than ${CHAIN_LIMITS.maxLineBytes} bytes`,
        {
          where,
        },
      );
    }
    // A bundle nests a few levels; a line of millions of brackets would take seconds to parse.
    const deep = jsonNestingProblem(row, CHAIN_LIMITS.maxLineDepth);
    if (deep !== undefined) {
      throw new SathosError('MALFORMED_CHAIN', `line ${deep}: it is not a Sigstore bundle`, {
        where,
      });
    }
    try {
      lines.push({ line: number, bundle: JSON.parse(row) as unknown });
    } catch (cause) {
      throw new SathosError(
        'MALFORMED_CHAIN',
        'line is not JSON; a chain holds one Sigstore bundle per line',
        { where, cause },
      );
    }
  }
  return lines;
}

/** The DSSE payload of a bundle, decoded but NOT verified: for planning links, never for trust. */
export interface DecodedPayload {
  readonly payloadType: string;
  readonly payload: Buffer;
  /** SHA-256 hex of the exact payload bytes: the link digest. */
  readonly digest: string;
}

/** Reads a bundle's DSSE payload without verifying it. */
export function decodeDssePayload(bundle: unknown, where: string): DecodedPayload {
  const envelope = (
    bundle as { dsseEnvelope?: { payload?: unknown; payloadType?: unknown } } | null
  )?.dsseEnvelope;
  if (typeof envelope?.payload !== 'string' || typeof envelope.payloadType !== 'string') {
    throw new SathosError('MALFORMED_BUNDLE', 'bundle has no DSSE envelope with a payload', {
      where,
    });
  }
  const payload = Buffer.from(envelope.payload, 'base64');
  return { payloadType: envelope.payloadType, payload, digest: sha256Hex(payload) };
}

/** The link digest of a transition record: SHA-256 of its exact DSSE payload bytes (docs/spec.md). */
export function linkDigest(payload: Uint8Array): string {
  return sha256Hex(payload);
}

export function linkRef(digest: string): LinkRef {
  return { digest: { sha256: digest } };
}

/** A record read from a chain for planning the next link; its signature is not checked here. */
export interface PlannedRecord {
  readonly digest: string;
  readonly statement: TransitionStatement;
}

/** Decodes the transition records of a chain (other bundles are evidence and are skipped). */
export function decodeRecords(lines: readonly ChainLine[], source = 'chain'): PlannedRecord[] {
  const records: PlannedRecord[] = [];
  for (const { line, bundle } of lines) {
    const where = `${source} line ${line}`;
    const { payload, digest } = decodeDssePayload(bundle, where);
    const text = payload.toString('utf8');
    // Records are decoded to plan before any signature is checked: a forged line must cost little.
    const deep = jsonNestingProblem(text, STATEMENT_MAX_DEPTH);
    if (deep !== undefined) {
      throw new SathosError('MALFORMED_STATEMENT', `DSSE payload ${deep}`, { where });
    }
    let statement: unknown;
    try {
      statement = JSON.parse(text);
    } catch (cause) {
      throw new SathosError('MALFORMED_STATEMENT', 'DSSE payload is not JSON', { where, cause });
    }
    if (
      (statement as { predicateType?: unknown } | null)?.predicateType !== TRANSITION_PREDICATE_TYPE
    ) {
      continue;
    }
    assertTransitionStatement(statement, where);
    records.push({ digest, statement });
  }
  return records;
}

/** Records that no other record names as previous: where the next record attaches. */
export function headsOf<R extends PlannedRecord>(records: readonly R[]): R[] {
  const referenced = new Set<string>();
  for (const r of records)
    for (const p of r.statement.predicate.previous) referenced.add(p.digest.sha256);
  const seen = new Set<string>();
  return records.filter((r) => {
    if (referenced.has(r.digest) || seen.has(r.digest)) return false;
    seen.add(r.digest);
    return true;
  });
}

/**
 * Where the next record attaches: after every current head (so parallel branches join), one past
 * the highest head sequence, bound to the genesis. An empty chain gets the genesis link.
 */
export function nextLink(records: readonly PlannedRecord[]): NextLink {
  if (records.length === 0) return { sequence: 0, previous: [] };
  const genesis = records.filter((r) => r.statement.predicate.sequence === 0);
  const first = genesis[0];
  if (first === undefined || genesis.some((g) => g.digest !== first.digest)) {
    throw new SathosError(
      'GENESIS_INVALID',
      `chain must have exactly one genesis record, found ${new Set(genesis.map((g) => g.digest)).size}; start a new chain or repair this one`,
    );
  }
  const heads = headsOf(records);
  const closed = heads.find((h) => h.statement.predicate.terminal === true);
  if (closed !== undefined) {
    throw new SathosError(
      'CHAIN_BROKEN',
      `chain is complete: record sha256:${closed.digest} is terminal, nothing may follow it`,
    );
  }
  const sequence = Math.max(...heads.map((h) => h.statement.predicate.sequence)) + 1;
  const previous = heads
    .map((h) => h.digest)
    .sort()
    .map(linkRef);
  return { sequence, genesis: { sha256: first.digest }, previous };
}
