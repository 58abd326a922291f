// `sathos verify-commits --chain`: once every commit verified, the chain's genesis is signed exactly
// as the verify-commit-signature action signs it (core's recordSource: the source stage, the commit,
// every commit's verdict as evidence, decided under the policy). Off GitHub the run is local: a
// fresh run id, and the repository named by its path unless --repository says otherwise.
import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { CoveredCommits, Policy, RunBinding } from '@sathos/core';
import { createBundleVerifier, recordSource } from '@sathos/core';
import { JsonlFileStore } from '@sathos/node';
import { readTrust } from '../inputs.js';
import type { SigningFlags } from '../signing.js';
import { signerFromFlags } from '../signing.js';
import { VERIFIER_ID } from '../summary.js';

/** What the genesis step wrote, for the output. */
export interface SourceRecord {
  readonly chain: string;
  readonly digest: string;
  readonly signer: string;
  readonly run: RunBinding;
}

/** The workflow a local run names: no workflow file vouches for it, and the name says so. */
export const LOCAL_WORKFLOW = 'local: sathos verify-commits';

interface SourceFlags extends SigningFlags {
  readonly repo?: string;
  readonly repository?: string;
  readonly trustedRoot?: string;
}

async function localRun(o: SourceFlags, commit: string): Promise<RunBinding> {
  const repository = o.repository ?? pathToFileURL(await realpath(o.repo ?? '.')).href;
  return { repository, workflowRef: LOCAL_WORKFLOW, runId: randomUUID(), runAttempt: 1, commit };
}

export async function recordSourceStep(
  o: SourceFlags,
  chain: string,
  covered: CoveredCommits,
  policy: Policy | undefined,
): Promise<SourceRecord> {
  const signer = await signerFromFlags(o);
  const run = await localRun(o, covered.headId);
  // The chain must be empty (recordSource refuses anything else), so there is nothing to verify.
  const checker = createBundleVerifier(await readTrust(o.trustedRoot));
  const { appended } = await recordSource(
    { run, covered, verifier: VERIFIER_ID, ...(policy === undefined ? {} : { policy }) },
    { store: new JsonlFileStore(chain), signer, trust: { checker } },
  );
  return { chain, digest: appended.digest, signer: signer.description, run };
}
