// Whether a guarded run may teach its baseline, beyond what the supervisor saw: the event is one a
// pull request cannot trigger with its own code, and the run's chain of custody so far verifies and
// its policy allows every record. A baseline learned from anything less could be poisoned.
import {
  SathosError,
  createBundleVerifier,
  describeCause,
  parseChainText,
  parsePublicKeys,
  publicGoodTrust,
  verifyChainSoFar,
  type Policy,
  type Trust,
  type TrustedPublicKey,
} from '@sathos/core';
import { readInputFile, readTrustedRootInput, runBinding, type RunContext } from '@sathos/github';

/** Events whose code is the repository's own (no pull request's): the only ones that may teach. */
export const LEARNING_EVENTS = ['push', 'schedule', 'workflow_dispatch'] as const;

/** Events on which a restored baseline may have been written by untrusted code: hosts only audited. */
export function trustsRestoredBaseline(eventName: string): boolean {
  return (LEARNING_EVENTS as readonly string[]).includes(eventName);
}

const MAX_CHAIN_BYTES = 256 * 1024 * 1024;
const MAX_KEY_BYTES = 64 * 1024;

async function loadTrust(path: string | undefined): Promise<Trust> {
  return path === undefined ? publicGoodTrust() : readTrustedRootInput(path);
}

async function loadKeys(paths: readonly string[]): Promise<TrustedPublicKey[]> {
  const keys: TrustedPublicKey[] = [];
  for (const path of paths)
    keys.push(...parsePublicKeys(await readInputFile(path, 'public-keys', MAX_KEY_BYTES), path));
  return keys;
}

export interface VouchInput {
  readonly policy: Policy;
  readonly chainPath: string;
  readonly trustedRoot?: string;
  readonly publicKeys: readonly string[];
  readonly context: RunContext;
}

/**
 * Verifies the chain so far through core's step service (verifyChainSoFar: every bundle, signer,
 * link, this very run, and every record's decision re-evaluated under the policy); throws why it
 * does not vouch for this run. An empty chain vouches for nothing.
 */
async function assertChainVouches(input: VouchInput): Promise<void> {
  const text = await readInputFile(input.chainPath, 'chain', MAX_CHAIN_BYTES);
  const lines = parseChainText(text, input.chainPath);
  const [trust, keys] = await Promise.all([
    loadTrust(input.trustedRoot),
    loadKeys(input.publicKeys),
  ]);
  const checker = createBundleVerifier(trust, {
    keys,
    allowUnloggedKeySignatures: keys.length > 0 && input.trustedRoot === undefined,
  });
  const verified = verifyChainSoFar({
    lines,
    trust: { checker },
    policy: input.policy,
    run: runBinding(input.context),
    source: input.chainPath,
  });
  if (verified === undefined)
    throw new SathosError('INCOMPLETE_CHAIN', 'the chain is empty: it vouches for no run', {
      where: input.chainPath,
    });
}

/** Undefined when the run may teach the baseline; otherwise why not, in one line. */
export async function vouchForRun(input: VouchInput): Promise<string | undefined> {
  const event = input.context.eventName;
  if (!trustsRestoredBaseline(event))
    return `a ${event} run does not teach the baseline (only ${LEARNING_EVENTS.join(', ')} do)`;
  try {
    await assertChainVouches(input);
    return undefined;
  } catch (error) {
    const line =
      error instanceof SathosError ? `${error.code}: ${error.line}` : describeCause(error);
    return `the chain of custody does not vouch for this run (${line})`;
  }
}
