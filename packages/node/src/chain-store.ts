// The embedded chain store: an append-only JSON Lines file, passed between jobs as a workflow
// artifact. Core defines the ChainStore interface and parses the lines; this adapter owns the file.
import { randomUUID } from 'node:crypto';
import { appendFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CHAIN_LIMITS, SathosError, chainLineOf, parseChainText } from '@sathos/core';
import type { ChainLine, ChainStore } from '@sathos/core';
import { makeDirectories, readBoundedFile } from './files.js';

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

export class JsonlFileStore implements ChainStore {
  readonly location: string;

  constructor(path: string) {
    this.location = path;
  }

  /** The file's bytes; an absent chain is empty. */
  private async bytes(): Promise<Buffer> {
    try {
      // Bounded, and a FIFO or device at the path is refused rather than read forever.
      return await readBoundedFile(this.location, {
        what: 'chain',
        maxBytes: CHAIN_LIMITS.maxBytes,
        tooLarge: 'TOO_LARGE',
      });
    } catch (error) {
      if (isMissing((error as { cause?: unknown }).cause)) return Buffer.alloc(0);
      throw error;
    }
  }

  async read(): Promise<ChainLine[]> {
    return parseChainText((await this.bytes()).toString('utf8'), this.location);
  }

  // Write then rename: the chain file is replaced whole by one holding every new line, so a crash
  // or a failed write leaves the chain as it was. Steps of one run append one after another.
  async appendAll(bundles: readonly unknown[]): Promise<void> {
    const added = bundles.map((bundle) => chainLineOf(bundle, this.location)).join('');
    // Bytes, not text: what is there is kept byte for byte, whatever it holds.
    const existing = await this.bytes();
    const separator = existing.length > 0 && existing.at(-1) !== 0x0a ? '\n' : '';
    const temporary = `${this.location}.${randomUUID()}.tmp`;
    try {
      await makeDirectories(dirname(this.location), 'STORE_FAILED', 'chain directory');
      await writeFile(temporary, Buffer.concat([existing, Buffer.from(separator + added)]), {
        flag: 'wx',
      });
      await rename(temporary, this.location);
    } catch (cause) {
      await rm(temporary, { force: true });
      throw new SathosError(
        'STORE_FAILED',
        'cannot write the chain file; check the path and permissions',
        { where: this.location, cause },
      );
    }
  }

  async append(bundle: unknown): Promise<void> {
    const line = chainLineOf(bundle, this.location);
    try {
      await makeDirectories(dirname(this.location), 'STORE_FAILED', 'chain directory');
      // O_APPEND: concurrent writers each add whole lines; nothing already written is touched.
      await appendFile(this.location, line, { encoding: 'utf8', flag: 'a' });
    } catch (cause) {
      throw new SathosError(
        'STORE_FAILED',
        'cannot append to the chain file; check the path and permissions',
        { where: this.location, cause },
      );
    }
  }
}
