// Step 4 of chain verification (docs/spec.md §5): each record's signer allowed for its stage, its
// actor claims true, and no recorded deny.
import { describeRule, signerMatchesRule } from '../../../identity/signers/identity-rule.js';
import { describeSigner } from '../../../identity/signers/signer-identity.js';
import type { SignerIdentity } from '../../../identity/signers/signer-identity.js';
import type { ActorClaims, TransitionStatement } from '../../record/transition.js';
import type { ChainRequirements } from '../verify-chain.js';
import { stepError } from './checked.js';
import type { Checked } from './checked.js';

/** Field by field: two signers are the same identity, not merely described alike. */
export function sameSigner(a: SignerIdentity, b: SignerIdentity): boolean {
  if (a.kind === 'key' || b.kind === 'key') {
    return a.kind === 'key' && b.kind === 'key' && a.keyId === b.keyId;
  }
  return a.issuer === b.issuer && a.subject === b.subject;
}

export function actorMatches(actor: ActorClaims, signer: SignerIdentity): boolean {
  if (actor.kind === 'key' || signer.kind === 'key') {
    return actor.kind === 'key' && signer.kind === 'key' && actor.keyId === signer.keyId;
  }
  if (actor.issuer !== signer.issuer || actor.subject !== signer.subject) return false;
  const claimed = actor.claims ?? {};
  const actual = signer.claims as Readonly<Record<string, string | undefined>>;
  return Object.entries(claimed).every(([key, value]) => actual[key] === value);
}

/** Step 4: the signer is one the requirements allow for the stage, and the actor claims are true. */
export function checkSigner(
  record: Checked & { statement: TransitionStatement },
  req: ChainRequirements,
): void {
  const { stage, actor } = record.statement.predicate;
  const fail = stepError('identity', 'UNTRUSTED_SIGNER');
  const rules = (Object.hasOwn(req.identities, stage) ? req.identities[stage] : undefined) ?? [];
  if (!rules.some((rule) => signerMatchesRule(record.signer, rule))) {
    const allowed = rules.length === 0 ? 'nobody' : rules.map(describeRule).join(' or ');
    throw fail(
      `${stage} record signed by ${describeSigner(record.signer)}, but only ${allowed} may sign ${stage}`,
      record.where,
    );
  }
  if (!actorMatches(actor, record.signer)) {
    throw stepError('identity', 'ACTOR_MISMATCH')(
      `record claims an actor its signature does not prove (signed by ${describeSigner(record.signer)})`,
      record.where,
    );
  }
  // A step that recorded a denial was not allowed to act: no chain holding it is trustworthy,
  // with or without a policy to re-evaluate.
  const recorded = record.statement.predicate.policy;
  if (recorded?.decision === 'deny') {
    throw stepError('identity', 'POLICY_DENIED')(
      `the ${stage} step recorded a deny decision under ${recorded.uri}: ${recorded.reasons.join('; ') || 'no reason given'}`,
      record.where,
    );
  }
}
