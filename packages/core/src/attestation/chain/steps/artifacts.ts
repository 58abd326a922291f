// Step 3 of chain verification (docs/spec.md §5): the artifacts bound to the records, and the
// deploy environment.
import type { ChainRequirements, ArtifactInput } from '../verify-chain.js';
import { stepError } from './checked.js';
import type { Record_ } from './checked.js';
import { namesDigest } from './continuity.js';

/**
 * Step 3: every artifact given is bound — a subject of at least one verified record, whatever the
 * stages — and is a subject of a record of every stage after the genesis.
 */
export function checkArtifacts(
  records: readonly Record_[],
  req: ChainRequirements,
  artifacts: readonly ArtifactInput[],
): void {
  const fail = stepError('subject', 'SUBJECT_MISMATCH');
  for (const artifact of artifacts) {
    const naming = records.filter((r) => namesDigest(r.statement.subject, artifact.digests));
    if (naming.length === 0) {
      throw fail(
        `artifact ${artifact.name} is not a subject of any record: the chain binds nothing to it`,
      );
    }
    for (const stage of req.stages.slice(1)) {
      if (!naming.some((r) => r.statement.predicate.stage === stage)) {
        throw fail(
          `artifact ${artifact.name} is not a subject of any ${stage} record: it is not what this chain built`,
        );
      }
    }
  }
}

/** The environment a deploy record names, or undefined when it names none. */
export function deployEnvironment(record: Record_): string | undefined {
  const value = record.statement.predicate.observations?.environment;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The chain deployed, and every deploy record names exactly the environment the caller demands. */
export function checkEnvironment(
  records: readonly Record_[],
  environment: string | undefined,
): void {
  if (environment === undefined) return;
  const fail = stepError('environment', 'ENVIRONMENT_MISMATCH');
  const deploys = records.filter((r) => r.statement.predicate.stage === 'deploy');
  if (deploys.length === 0)
    throw fail(`the chain holds no deploy record, so nothing was deployed to ${environment}`);
  for (const record of deploys) {
    const named = deployEnvironment(record);
    if (named !== environment) {
      throw fail(
        `the deploy record names ${named === undefined ? 'no environment' : `environment "${named}"`}, not "${environment}"`,
        record.where,
      );
    }
  }
}
