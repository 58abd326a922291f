// A step appends to the chain it verified, or not at all. Between reading the chain and writing
// the step's bundles there is signing (keyless: a certificate, a log entry, a timestamp — seconds on
// the network), and anything else with the file at hand (a process the step's command left behind,
// a second step run at once) could change it meanwhile; the step would then append its verified-
// looking records to lines it never verified. Re-read just before writing and refuse any change.
import { SathosError } from '../../errors.js';
import type { ChainLine } from './chain.js';
import type { ChainStore } from './store.js';

function sameLines(a: readonly ChainLine[], b: readonly ChainLine[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((line, i) => JSON.stringify(line.bundle) === JSON.stringify(b[i]?.bundle));
}

/** Throws CHAIN_BROKEN when the store no longer holds exactly `verified`. Linear in the chain. */
export async function assertChainUnchanged(
  store: ChainStore,
  verified: readonly ChainLine[],
): Promise<void> {
  if (sameLines(await store.read(), verified)) return;
  throw new SathosError(
    'CHAIN_BROKEN',
    'the chain changed after this step verified it (another writer?); nothing was appended — run the step again on the chain as it is now',
    { where: store.location },
  );
}
