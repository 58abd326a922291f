// A chain store that stores a step's bundles with GitHub's attestations API before it writes them
// to the chain file: every upload succeeds, then the file is written (write, then rename), or the
// step fails and the file is byte for byte what it was. GitHub has no transaction: attestations
// uploaded before a failure stay there, and the error says how many.
import { SathosError, type ChainStore } from '@sathos/core';
import { uploadAll, type UploadedAttestation } from '../attestations/index.js';
import type { AttestationsApi } from '../attestations/http.js';
import { PublishFirstStore } from './publish-first-store.js';

export interface UploadTarget extends AttestationsApi {
  readonly repository: string;
  readonly token: string;
  readonly serverUrl: string;
}

export class UploadingStore extends PublishFirstStore {
  /** Every attestation stored, in the order of the bundles appended. */
  readonly uploaded: UploadedAttestation[] = [];

  constructor(
    inner: ChainStore,
    private readonly target: UploadTarget,
  ) {
    super(inner);
  }

  protected async publish(bundles: readonly unknown[]): Promise<void> {
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
  }
}
