// The chain's first link: the source record, about the commit the run builds, with every commit's
// verified signature as evidence (COMMIT_SIGNATURES_V1). Nothing is appended unless all verified.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SathosError,
  appendTransition,
  decodeDssePayload,
  type ChainStore,
  type PolicyDecisionRef,
  type Statement,
  type ResourceDescriptor,
  type RunBinding,
} from '@sathos/core';
import type { JobSigner } from '@sathos/github';

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

export interface GenesisInput {
  readonly store: ChainStore;
  readonly signer: JobSigner;
  readonly run: RunBinding;
  readonly subjects: readonly ResourceDescriptor[];
  /** The commit-signatures statement (commitSignaturesEvidence). */
  readonly evidence: Statement;
  /** The policy decision evaluated before the record was signed, when a policy was given. */
  readonly policy?: PolicyDecisionRef;
  /** Directory for the lone copy of the record (named by its digest, so steps never collide). */
  readonly outDir: string;
}

/** Appends the source record and writes a copy of its bundle to `outDir`/genesis-<digest>.sigstore.json. */
export async function appendGenesis(input: GenesisInput): Promise<Genesis> {
  let recordBundle: unknown;
  const sign = async (statement: Parameters<JobSigner['sign']>[0]) => {
    const bundle = await input.signer.sign(statement);
    recordBundle = bundle;
    return bundle;
  };
  const appended = await appendTransition({
    store: input.store,
    sign,
    stage: 'source',
    subjects: input.subjects,
    run: input.run,
    actor: input.signer.actor,
    evidence: [input.evidence],
    ...(input.policy === undefined ? {} : { policy: input.policy }),
  });
  if (
    appended.sequence !== 0 ||
    decodeDssePayload(recordBundle, 'source record').digest !== appended.digest
  ) {
    throw new SathosError(
      'STORE_FAILED',
      'the source record is not the chain genesis; give a new chain path',
      {
        where: input.store.location,
      },
    );
  }
  await mkdir(input.outDir, { recursive: true });
  const path = join(input.outDir, `genesis-${appended.digest}.sigstore.json`);
  await writeFile(path, `${JSON.stringify(recordBundle)}\n`);
  return { digest: appended.digest, path };
}
