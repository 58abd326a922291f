// Where chains live, as an interface: core reads and appends through it and never touches a file.
// The embedded default, an append-only JSON Lines file passed between jobs as a workflow artifact,
// is @sathos/node's JsonlFileStore; the GitHub attestations API and OCI referrers are stores later.
// MemoryChainStore holds the same text in memory, for tests and for callers that hold a chain whole.
import { SathosError } from '../../errors.js';
import type { ChainLine } from './chain.js';
import { CHAIN_LIMITS, parseChainText } from './chain.js';

export interface ChainStore {
  /** A human name for messages: a path or a URL. */
  readonly location: string;
  /** Every bundle in the store; an absent chain reads as empty. */
  read(): Promise<ChainLine[]>;
  /** Adds one bundle; never rewrites what is there. */
  append(bundle: unknown): Promise<void>;
  /** Adds one step's bundles, all of them or none (a failed step leaves no half-written step). */
  appendAll(bundles: readonly unknown[]): Promise<void>;
}

/**
 * The one JSON line a bundle is stored as, newline included. Refused (STORE_FAILED) when it is not
 * JSON, or is too long to be read back: a store never writes a line its own reader would reject.
 */
export function chainLineOf(bundle: unknown, location: string): string {
  const line: unknown = JSON.stringify(bundle);
  if (typeof line !== 'string' || line.includes('\n') || line.length > CHAIN_LIMITS.maxLineBytes) {
    throw new SathosError('STORE_FAILED', 'bundle cannot be stored as one JSON line', {
      where: location,
    });
  }
  return `${line}\n`;
}

/** Joins new lines onto a chain's text, first ending an unterminated last line. */
function appendLines(existing: string, added: string): string {
  const separator = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  return existing + separator + added;
}

/** A chain held in memory as JSON Lines text, read and appended exactly as the file store is. */
export class MemoryChainStore implements ChainStore {
  readonly location: string;
  #text: string;

  /** `text` is the chain so far, as a chain file would hold it (it is parsed on read, not here). */
  constructor(text = '', location = 'chain.jsonl') {
    this.#text = text;
    this.location = location;
  }

  read(): Promise<ChainLine[]> {
    return Promise.resolve().then(() => parseChainText(this.#text, this.location));
  }

  append(bundle: unknown): Promise<void> {
    return this.appendAll([bundle]);
  }

  /** Every bundle is encoded before any is added, so a refused one leaves the chain as it was. */
  appendAll(bundles: readonly unknown[]): Promise<void> {
    return Promise.resolve().then(() => {
      const added = bundles.map((bundle) => chainLineOf(bundle, this.location)).join('');
      this.#text = appendLines(this.#text, added);
    });
  }

  /** The chain's text, as a chain file would hold it. */
  text(): string {
    return this.#text;
  }
}
