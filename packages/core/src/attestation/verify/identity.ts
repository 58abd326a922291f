// The signer-identity policy: exact or whole-subject RE2 pattern match on the certificate's SAN,
// exact issuer, exact key id. sigstore-js's own SAN check is an unanchored RegExp `test`, so we do ours.
import { SathosError } from '../../errors.js';
import { matchesWhole } from '../../pattern.js';
import type { IdentityPolicy, SignerIdentity } from '../../identity/signers/signer-identity.js';
import { describeSigner } from '../../identity/signers/signer-identity.js';

/** Every way the signer falls short of the policy; empty when it satisfies it. */
export function identityProblems(signer: SignerIdentity, policy: IdentityPolicy): string[] {
  const wantsCertificate =
    policy.subject !== undefined ||
    policy.subjectRegexp !== undefined ||
    policy.issuer !== undefined;
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
  if (policy.subject !== undefined && policy.subject !== signer.subject) {
    problems.push(`expected identity ${policy.subject}`);
  }
  if (policy.subjectRegexp !== undefined && !matchesWhole(policy.subjectRegexp, signer.subject)) {
    problems.push(`expected an identity matching /${policy.subjectRegexp}/`);
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
