// Whether a step's bundles end in a denied record. A denied step is still appended to the chain
// file (docs/spec.md §5.2: the deny is the audit trail, and no later step builds on it), but it is
// never published: GitHub's attestations API and a registry's referrers are read by tools
// (`gh attestation verify`, cosign) that know nothing of SATHOS's decision, so a denied build's
// provenance stored there would vouch for the very artifact the policy refused.
import { decodeDssePayload } from '@sathos/core';

const TRANSITION = 'https://sathos.dev/attestation/transition/v1';

function deniedRecord(bundle: unknown): boolean {
  let statement: unknown;
  try {
    statement = JSON.parse(decodeDssePayload(bundle, 'step bundle').payload.toString('utf8'));
  } catch {
    // attestStep signed these bundles itself; one it cannot read is not published either.
    return true;
  }
  const s = statement as {
    predicateType?: unknown;
    predicate?: { policy?: { decision?: unknown } };
  };
  if (s.predicateType !== TRANSITION) return false;
  // No policy decided the step: nothing was denied. A decision other than allow is a deny.
  const policy = s.predicate?.policy;
  return policy !== undefined && policy.decision !== 'allow';
}

/** True when any record among the bundles carries a deny: the step must not be published. */
export function stepDenied(bundles: readonly unknown[]): boolean {
  return bundles.some(deniedRecord);
}
