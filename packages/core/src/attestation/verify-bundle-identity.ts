// The signer-identity policy: exact or fully-anchored pattern match on the certificate's SAN, exact
// issuer, exact key id. sigstore-js's own SAN check is an unanchored RegExp `test`, so we do ours.
import { SathosError } from '../errors.js';
import type { IdentityPolicy, SignerIdentity } from '../identity/signer-identity.js';
import { describeSigner } from '../identity/signer-identity.js';

const anchored = new WeakMap<RegExp, RegExp>();

/** The pattern anchored at both ends, so it must match the whole SAN. */
export function fullMatch(pattern: RegExp): RegExp {
  let re = anchored.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
    anchored.set(pattern, re);
  }
  return re;
}

function subjectMatches(expected: string | RegExp, actual: string): boolean {
  return typeof expected === 'string' ? expected === actual : fullMatch(expected).test(actual);
}

/** Every way the signer falls short of the policy; empty when it satisfies it. */
export function identityProblems(signer: SignerIdentity, policy: IdentityPolicy): string[] {
  const wantsCertificate = policy.subject !== undefined || policy.issuer !== undefined;
  if (signer.kind === 'key') {
    if (wantsCertificate)
      return ['expected a certificate identity, but the bundle is signed by a key'];
    if (policy.keyId !== undefined && policy.keyId !== signer.keyId)
      return [`expected key ${policy.keyId}`];
    return [];
  }
  const problems: string[] = [];
  if (policy.keyId !== undefined && !wantsCertificate) {
    problems.push(`expected key ${policy.keyId}, but the bundle is signed by a certificate`);
  }
  if (policy.subject !== undefined && !subjectMatches(policy.subject, signer.subject)) {
    problems.push(`expected identity ${String(policy.subject)}`);
  }
  if (policy.issuer !== undefined && policy.issuer !== signer.issuer) {
    problems.push(`expected OIDC issuer ${policy.issuer}`);
  }
  return problems;
}

/** Throws IDENTITY_MISMATCH naming the actual signer when the policy is not met. */
export function checkIdentity(
  signer: SignerIdentity,
  policy: IdentityPolicy | undefined,
  where?: string,
): void {
  if (policy === undefined) return;
  const problems = identityProblems(signer, policy);
  if (problems.length === 0) return;
  throw new SathosError(
    'IDENTITY_MISMATCH',
    `signed by ${describeSigner(signer)}: ${problems.join('; ')}`,
    where === undefined ? {} : { where },
  );
}
