// Where chains live. The embedded default is an append-only JSON Lines file, passed between jobs as
// a workflow artifact; the GitHub attestations API and OCI referrers are further stores later.
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SathosError } from '../../errors.js';
import { makeDirectories, readBoundedFile } from '../../files.js';
import type { ChainLine } from './chain.js';
import { CHAIN_LIMITS, parseChainText } from './chain.js';

export interface ChainStore {
  /** A human name for messages: a path or a URL. */
  readonly location: string;
  /** Every bundle in the store; an absent chain reads as empty. */
  read(): Promise<ChainLine[]>;
  /** Adds one bundle; never rewrites what is there. */
  append(bundle: unknown): Promise<void>;
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

export class JsonlFileStore implements ChainStore {
  readonly location: string;

  constructor(path: string) {
    this.location = path;
  }

  async read(): Promise<ChainLine[]> {
    let bytes: Buffer;
    try {
      // Bounded, and a FIFO or device at the path is refused rather than read forever.
      bytes = await readBoundedFile(this.location, {
        what: 'chain',
        maxBytes: CHAIN_LIMITS.maxBytes,
        tooLarge: 'TOO_LARGE',
      });
    } catch (error) {
      if (isMissing((error as { cause?: unknown }).cause)) return [];
      throw error;
    }
    return parseChainText(bytes.toString('utf8'), this.location);
  }

  async append(bundle: unknown): Promise<void> {
    const line = JSON.stringify(bundle);
    if (line.includes('\n') || line.length > CHAIN_LIMITS.maxLineBytes) {
      throw new SathosError('STORE_FAILED', 'bundle cannot be stored as one JSON line', {
        where: this.location,
      });
    }
    try {
      await makeDirectories(dirname(this.location), 'STORE_FAILED', 'chain directory');
      // O_APPEND: concurrent writers each add whole lines; nothing already written is touched.
      await appendFile(this.location, `${line}\n`, { encoding: 'utf8', flag: 'a' });
    } catch (cause) {
      throw new SathosError(
        'STORE_FAILED',
        'cannot append to the chain file; check the path and permissions',
        {
          where: this.location,
          cause,
        },
      );
    }
  }
}
