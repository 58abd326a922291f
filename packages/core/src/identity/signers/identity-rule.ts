// Who may sign: one rule names a key, or a certificate issuer with an exact or patterned subject.
import { SathosError } from '../../errors.js';
import { matchesWhole, wholePatternProblem } from '../../pattern.js';
import type { CertificateSigner, SignerIdentity } from './signer-identity.js';

export interface IdentityRule {
  /** `sha256:<hex>` of a key signer's public key. */
  readonly keyId?: string;
  /** Exact OIDC issuer of a certificate signer. */
  readonly issuer?: string;
  /** Exact certificate subject (SAN). */
  readonly subject?: string;
  /** Pattern the whole subject must match. */
  readonly subjectRegexp?: string;
  /** Fulcio claims a certificate signer must carry, each exactly (a policy's rules narrow by them). */
  readonly claims?: Readonly<Partial<Record<string, string>>>;
}

/** Checks a rule is usable: a key rule names only a key; a certificate rule needs issuer and subject. */
export function identityRuleProblems(rule: IdentityRule, path: string): string[] {
  if (rule.keyId !== undefined) {
    const problems = /^sha256:[0-9a-f]{64}$/.test(rule.keyId)
      ? []
      : [`${path}.keyId must be sha256:<64 hex>`];
    if (
      rule.issuer !== undefined ||
      rule.subject !== undefined ||
      rule.subjectRegexp !== undefined
    ) {
      problems.push(`${path} names a key and a certificate identity; use one rule for each`);
    }
    return problems;
  }
  const problems: string[] = [];
  if (rule.issuer === undefined)
    problems.push(`${path}.issuer is required for a certificate identity`);
  if ((rule.subject === undefined) === (rule.subjectRegexp === undefined)) {
    problems.push(`${path} needs exactly one of subject or subjectRegexp`);
  }
  if (rule.subjectRegexp !== undefined) {
    const problem = wholePatternProblem(rule.subjectRegexp);
    if (problem !== undefined) {
      problems.push(`${path}.subjectRegexp is not a valid RE2 pattern: ${problem}`);
    }
  }
  return problems;
}

export function assertIdentityRule(rule: IdentityRule, path: string): void {
  const problems = identityRuleProblems(rule, path);
  if (problems.length > 0) throw new SathosError('USAGE', problems.join('; '));
}

/** Every claim the rule names is the certificate's, exactly; a rule naming none asks for none. */
function claimsHold(signer: CertificateSigner, claims: IdentityRule['claims']): boolean {
  const actual = signer.claims as Readonly<Record<string, string | undefined>>;
  return Object.entries(claims ?? {}).every(
    ([claim, expected]) => Object.hasOwn(actual, claim) && actual[claim] === expected,
  );
}

/**
 * The signer satisfies the rule, claims included: a caller that hands the chain verifier a policy's
 * rules gets them enforced there too, not only when it also re-evaluates the policy.
 */
export function signerMatchesRule(signer: SignerIdentity, rule: IdentityRule): boolean {
  if (rule.keyId !== undefined)
    return rule.claims === undefined && signer.kind === 'key' && signer.keyId === rule.keyId;
  if (signer.kind !== 'certificate' || rule.issuer === undefined) return false;
  if (signer.issuer !== rule.issuer || !claimsHold(signer, rule.claims)) return false;
  if (rule.subject !== undefined) return signer.subject === rule.subject;
  return rule.subjectRegexp !== undefined && matchesWhole(rule.subjectRegexp, signer.subject);
}

export function describeRule(rule: IdentityRule): string {
  if (rule.keyId !== undefined) return `key ${rule.keyId}`;
  const subject = rule.subject ?? `/${rule.subjectRegexp ?? ''}/`;
  const claims = Object.entries(rule.claims ?? {}).map(([c, v]) => `${c}=${v ?? ''}`);
  return `${subject} (issuer ${rule.issuer ?? '?'}${claims.length === 0 ? '' : `, ${claims.join(', ')}`})`;
}
