// The chain's first link: the source record, about the commit the run builds, with every commit's
// verified signature as evidence (COMMIT_SIGNATURES_V1). Core's step service appends it; here the
// chain is checked empty before, and the record's bundle copied alone after.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SathosError, type AppendResult, type ChainStore } from '@sathos/core';

export const VERIFIER_ID = 'https://github.com/sathos/verify-commit-signature';

export interface Genesis {
  /** Link digest (hex) of the source record. */
  readonly digest: string;
  /** The source record's bundle, alone in one file. */
  readonly path: string;
}

/** Fails when the chain already holds anything: the source record starts a chain. */
export async function assertEmptyChain(store: ChainStore): Promise<void> {
  const lines = await store.read();
  if (lines.length > 0) {
    throw new SathosError(
      'USAGE',
      `the chain already holds ${lines.length} bundle(s); the source record starts a chain, so give a new chain path`,
      { where: store.location },
    );
  }
}

/** Writes the appended source record alone to `outDir`/genesis-<digest>.sigstore.json. */
export async function writeGenesisCopy(
  appended: AppendResult,
  outDir: string,
  where: string,
): Promise<Genesis> {
  if (appended.sequence !== 0) {
    throw new SathosError(
      'STORE_FAILED',
      'the source record is not the chain genesis; give a new chain path',
      { where },
    );
  }
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `genesis-${appended.digest}.sigstore.json`);
  await writeFile(path, `${JSON.stringify(appended.bundle)}\n`);
  return { digest: appended.digest, path };
}
