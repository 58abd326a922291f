// The shape every publishing chain store shares: a step's bundles are published (GitHub's
// attestations API, OCI referrers) before the chain file is written — every publish succeeds, then
// the file is written, or the step fails and the file is as it was. A denied step is only recorded.
import type { ChainLine, ChainStore } from '@sathos/core';
import { stepDenied } from './denied.js';

export abstract class PublishFirstStore implements ChainStore {
  readonly location: string;

  constructor(private readonly inner: ChainStore) {
    this.location = inner.location;
  }

  read(): Promise<ChainLine[]> {
    return this.inner.read();
  }

  append(bundle: unknown): Promise<void> {
    return this.appendAll([bundle]);
  }

  async appendAll(bundles: readonly unknown[]): Promise<void> {
    // A denied step is recorded in the chain file, never stored where `gh` or cosign would trust it.
    if (stepDenied(bundles)) return this.inner.appendAll(bundles);
    await this.publish(bundles);
    await this.inner.appendAll(bundles);
  }

  /** Publishes every bundle or throws (the chain file is then left unchanged). */
  protected abstract publish(bundles: readonly unknown[]): Promise<void>;
}
