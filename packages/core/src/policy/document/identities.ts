// `identities`: who may sign each stage. A rule names a key, or a certificate issuer and subject,
// optionally narrowed by Fulcio certificate claims (runner environment, source repository…).
import type { IdentityRule } from '../../identity/signers/identity-rule.js';
import { identityRuleProblems, signerMatchesRule } from '../../identity/signers/identity-rule.js';
import type { CertificateClaims, SignerIdentity } from '../../identity/signers/signer-identity.js';
import type { PolicyProblem } from './problem.js';
import { problem } from './problem.js';
import { isObject } from './fields.js';
import { POLICY_LIMITS } from './limits.js';

/** Fulcio claims a rule may require (OIDs 1.3.6.1.4.1.57264.1.9–22); matched exactly. */
export const CLAIM_NAMES = [
  'buildSignerURI',
  'buildSignerDigest',
  'runnerEnvironment',
  'sourceRepositoryURI',
  'sourceRepositoryDigest',
  'sourceRepositoryRef',
  'sourceRepositoryIdentifier',
  'sourceRepositoryOwnerURI',
  'sourceRepositoryOwnerIdentifier',
  'buildConfigURI',
  'buildConfigDigest',
  'buildTrigger',
  'runInvocationURI',
  'sourceRepositoryVisibilityAtSigning',
] as const satisfies readonly (keyof CertificateClaims)[];

export type ClaimName = (typeof CLAIM_NAMES)[number];

/** An identity rule as a policy states it: the chain verifier's rule plus claim constraints. */
export interface PolicyIdentityRule extends IdentityRule {
  readonly claims?: Readonly<Partial<Record<ClaimName, string>>>;
}

const RULE_FIELDS: readonly string[] = [
  'keyId',
  'issuer',
  'subject',
  'subjectRegexp',
  ...CLAIM_NAMES,
];

function ruleProblems(
  rule: unknown,
  path: readonly (string | number)[],
  name: string,
): PolicyProblem[] {
  if (!isObject(rule)) return [problem(path, `${name} must be an object`)];
  const problems: PolicyProblem[] = [];
  const unknown = Object.keys(rule).filter((k) => !RULE_FIELDS.includes(k));
  if (unknown.length > 0)
    problems.push(problem(path, `${name} has unknown field(s) ${unknown.join(', ')}`));
  if (Object.values(rule).some((v) => typeof v !== 'string')) {
    return [...problems, problem(path, `${name} values must be strings`)];
  }
  for (const message of identityRuleProblems(rule, name)) {
    const field = /^\S+\.(keyId|issuer|subject|subjectRegexp)\b/.exec(message)?.[1];
    problems.push(problem(field === undefined ? path : [...path, field], message));
  }
  if (rule.keyId !== undefined && CLAIM_NAMES.some((c) => rule[c] !== undefined)) {
    problems.push(
      problem(
        path,
        `${name} names a key and certificate claims; claims apply to certificate identities only`,
      ),
    );
  }
  return problems;
}

export function identitiesProblems(value: unknown, stages: readonly string[]): PolicyProblem[] {
  if (!isObject(value))
    return [problem(['identities'], 'identities must map each stage to a list of signers')];
  const problems: PolicyProblem[] = [];
  for (const [stage, rules] of Object.entries(value)) {
    const path = ['identities', stage];
    const name = `identities.${stage}`;
    if (!stages.includes(stage))
      problems.push(problem(path, `${name} names a stage not listed in stages`));
    if (!Array.isArray(rules) || rules.length === 0) {
      problems.push(problem(path, `${name} must be a non-empty list`));
      continue;
    }
    if (rules.length > POLICY_LIMITS.maxIdentitiesPerStage) {
      problems.push(
        problem(path, `${name} has more than ${POLICY_LIMITS.maxIdentitiesPerStage} entries`),
      );
      continue;
    }
    rules.forEach((rule, i) => problems.push(...ruleProblems(rule, [...path, i], `${name}[${i}]`)));
  }
  for (const stage of stages) {
    if (!Object.hasOwn(value, stage))
      problems.push(
        problem(['identities'], `identities.${stage} is missing: say who may sign every stage`),
      );
  }
  return problems;
}

/** The rules of a valid `identities` section, claim constraints gathered under `claims`. */
export function readIdentities(
  value: Record<string, Record<string, string>[]>,
): Record<string, PolicyIdentityRule[]> {
  const out: Record<string, PolicyIdentityRule[]> = {};
  for (const [stage, rules] of Object.entries(value)) {
    out[stage] = rules.map((rule) => {
      const claims = Object.fromEntries(
        CLAIM_NAMES.flatMap((c) => (rule[c] === undefined ? [] : [[c, rule[c]]])),
      );
      const base: IdentityRule = {
        ...(rule.keyId === undefined ? {} : { keyId: rule.keyId }),
        ...(rule.issuer === undefined ? {} : { issuer: rule.issuer }),
        ...(rule.subject === undefined ? {} : { subject: rule.subject }),
        ...(rule.subjectRegexp === undefined ? {} : { subjectRegexp: rule.subjectRegexp }),
      };
      return Object.keys(claims).length === 0 ? base : { ...base, claims };
    });
  }
  return out;
}

/** True when the signer satisfies the rule, its claim constraints included. */
export function signerMatchesPolicyRule(signer: SignerIdentity, rule: PolicyIdentityRule): boolean {
  if (!signerMatchesRule(signer, rule)) return false;
  if (rule.claims === undefined) return true;
  if (signer.kind !== 'certificate') return false;
  const actual = signer.claims as Readonly<Record<string, string | undefined>>;
  return Object.entries(rule.claims).every(([claim, expected]) => actual[claim] === expected);
}
