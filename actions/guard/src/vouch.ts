// Whether a guarded run may teach its baseline, beyond what the supervisor saw: the event is one a
// pull request cannot trigger with its own code, and the run's chain of custody so far verifies and
// its policy allows every record. A baseline learned from anything less could be poisoned.
import {
  MAX_TRUSTED_ROOT_BYTES,
  SathosError,
  assertChainPolicy,
  createBundleVerifier,
  decodeRecords,
  describeCause,
  githubTrust,
  parseChainText,
  parsePublicKeys,
  publicGoodTrust,
  trustFromJSON,
  verifyChain,
  type Policy,
  type Trust,
  type TrustedPublicKey,
} from '@sathos/core';
import { readInputFile, type RunContext } from '@sathos/github';

/** Events whose code is the repository's own (no pull request's): the only ones that may teach. */
export const LEARNING_EVENTS = ['push', 'schedule', 'workflow_dispatch'] as const;

/** Events on which a restored baseline may have been written by untrusted code: hosts only audited. */
export function trustsRestoredBaseline(eventName: string): boolean {
  return (LEARNING_EVENTS as readonly string[]).includes(eventName);
}

const MAX_CHAIN_BYTES = 256 * 1024 * 1024;
const MAX_KEY_BYTES = 64 * 1024;

async function loadTrust(path: string | undefined): Promise<Trust> {
  if (path === undefined || path === 'embedded:public-good') return publicGoodTrust();
  if (path === 'embedded:github') return githubTrust();
  const text = await readInputFile(path, 'trusted-root', MAX_TRUSTED_ROOT_BYTES);
  try {
    return trustFromJSON(JSON.parse(text), path);
  } catch (cause) {
    if (cause instanceof SathosError) throw cause;
    throw new SathosError('TRUST_ROOT_UNREADABLE', 'the trusted root is not JSON', {
      where: path,
      cause,
    });
  }
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

/** The policy's stages up to the last one the chain holds: a chain mid-pipeline is complete so far. */
function stagesSoFar(policy: Policy, stages: ReadonlySet<string>): string[] {
  const last = policy.stages.reduce((found, stage, i) => (stages.has(stage) ? i : found), -1);
  if (last < 0)
    throw new SathosError(
      'INCOMPLETE_CHAIN',
      'the chain holds no record of a stage the policy names',
    );
  return policy.stages.slice(0, last + 1);
}

/** Verifies the chain so far under the policy; throws the reason it does not vouch for this run. */
async function verifyChainSoFar(input: VouchInput): Promise<void> {
  const text = await readInputFile(input.chainPath, 'chain', MAX_CHAIN_BYTES);
  const lines = parseChainText(text, input.chainPath);
  const stages = new Set(
    decodeRecords(lines, input.chainPath).map((r) => r.statement.predicate.stage),
  );
  const [trust, keys] = await Promise.all([
    loadTrust(input.trustedRoot),
    loadKeys(input.publicKeys),
  ]);
  const checker = createBundleVerifier(trust, {
    keys,
    allowUnloggedKeySignatures: keys.length > 0 && input.trustedRoot === undefined,
  });
  const verified = verifyChain({
    lines,
    checker,
    requirements: {
      stages: stagesSoFar(input.policy, stages),
      identities: input.policy.identities,
      requireTerminal: false,
    },
    artifacts: [],
    source: input.chainPath,
  });
  const { run } = verified;
  const { context } = input;
  if (
    run.repository !== context.repository ||
    run.runId !== context.runId ||
    run.runAttempt !== context.runAttempt ||
    run.commit !== context.sha
  )
    throw new SathosError(
      'RUN_MISMATCH',
      `the chain is of run ${run.repository} ${run.runId}/${run.runAttempt} at ${run.commit}, not this one`,
    );
  assertChainPolicy(input.policy, verified, lines);
}

/** Undefined when the run may teach the baseline; otherwise why not, in one line. */
export async function vouchForRun(input: VouchInput): Promise<string | undefined> {
  const event = input.context.eventName;
  if (!trustsRestoredBaseline(event))
    return `a ${event} run does not teach the baseline (only ${LEARNING_EVENTS.join(', ')} do)`;
  try {
    await verifyChainSoFar(input);
    return undefined;
  } catch (error) {
    const line =
      error instanceof SathosError ? `${error.code}: ${error.line}` : describeCause(error);
    return `the chain of custody does not vouch for this run (${line})`;
  }
}
