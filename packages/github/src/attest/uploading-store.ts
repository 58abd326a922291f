// A chain store that stores a step's bundles with GitHub's attestations API before it writes them
// to the chain file: every upload succeeds, then the file is written (write, then rename), or the
// step fails and the file is byte for byte what it was. GitHub has no transaction: attestations
// uploaded before a failure stay there, and the error says how many.
import { SathosError, type ChainLine, type ChainStore } from '@sathos/core';
import { uploadAll, type UploadedAttestation } from '../attestations/index.js';
import type { AttestationsApi } from '../attestations/http.js';
import { stepDenied } from './denied.js';

export interface UploadTarget extends AttestationsApi {
  readonly repository: string;
  readonly token: string;
  readonly serverUrl: string;
}

export class UploadingStore implements ChainStore {
  readonly location: string;
  /** Every attestation stored, in the order of the bundles appended. */
  readonly uploaded: UploadedAttestation[] = [];

  constructor(
    private readonly inner: ChainStore,
    private readonly target: UploadTarget,
  ) {
    this.location = inner.location;
  }

  read(): Promise<ChainLine[]> {
    return this.inner.read();
  }

  append(bundle: unknown): Promise<void> {
    return this.appendAll([bundle]);
  }

  async appendAll(bundles: readonly unknown[]): Promise<void> {
    // A denied step is recorded in the chain file, never stored where GitHub's tools would trust it.
    if (stepDenied(bundles)) return this.inner.appendAll(bundles);
    const result = await uploadAll({ ...this.target, bundles });
    this.uploaded.push(...result.uploaded);
    if (!result.ok) {
      const stored =
        result.uploaded.length === 0
          ? 'none was stored'
          : `${result.uploaded.length} of ${bundles.length} were stored on GitHub before it`;
      throw new SathosError(
        result.error.code,
        `${result.error.message} (bundle ${result.failedIndex + 1} of ${bundles.length}; ${stored}); the chain file is unchanged`,
        { ...(result.error.where === undefined ? {} : { where: result.error.where }) },
      );
    }
    await this.inner.appendAll(bundles);
  }
}
