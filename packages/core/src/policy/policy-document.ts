// The policy document: which stages a chain needs, in order, and who may sign each. The CEL rules
// of the policy layer (DESIGN.md §5) are refused here rather than ignored, so a policy is never
// weaker than it reads.
import { parseDocument } from 'yaml';
import { SathosError } from '../errors.js';
import { sha256Hex } from '../attestation/digest.js';
import { STAGE_PATTERN } from '../attestation/record.js';
import type { IdentityRule } from '../identity/identity-rule.js';
import { identityRuleProblems } from '../identity/identity-rule.js';

export const POLICY_API_VERSION = 'sathos.dev/v1';
export const POLICY_KIND = 'Policy';

export const POLICY_LIMITS = {
  maxBytes: 1024 * 1024,
  maxAliases: 100,
  maxStages: 32,
  maxIdentitiesPerStage: 64,
} as const;

export interface Policy {
  /** Where it came from, as recorded in every decision. */
  readonly uri: string;
  /** SHA-256 hex of the exact policy bytes. */
  readonly digest: string;
  readonly stages: readonly string[];
  readonly identities: Readonly<Record<string, readonly IdentityRule[]>>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stagesProblems(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) return ['stages must be a non-empty list'];
  if (value.length > POLICY_LIMITS.maxStages)
    return [`stages has more than ${POLICY_LIMITS.maxStages} entries`];
  const problems = value.flatMap((s, i) =>
    typeof s === 'string' && STAGE_PATTERN.test(s)
      ? []
      : [`stages[${i}] must be a stage name like "build"`],
  );
  if (new Set(value).size !== value.length) problems.push('stages lists a stage twice');
  return problems;
}

function identitiesProblems(value: unknown, stages: readonly unknown[]): string[] {
  if (!isObject(value)) return ['identities must map each stage to a list of signers'];
  const problems: string[] = [];
  for (const [stage, rules] of Object.entries(value)) {
    const path = `identities.${stage}`;
    if (!stages.includes(stage)) problems.push(`${path} names a stage not listed in stages`);
    if (!Array.isArray(rules) || rules.length === 0) {
      problems.push(`${path} must be a non-empty list`);
      continue;
    }
    if (rules.length > POLICY_LIMITS.maxIdentitiesPerStage) {
      problems.push(`${path} has more than ${POLICY_LIMITS.maxIdentitiesPerStage} entries`);
      continue;
    }
    rules.forEach((rule, i) => {
      if (!isObject(rule)) {
        problems.push(`${path}[${i}] must be an object`);
        return;
      }
      const unknown = Object.keys(rule).filter(
        (k) => !['keyId', 'issuer', 'subject', 'subjectRegexp'].includes(k),
      );
      if (unknown.length > 0)
        problems.push(`${path}[${i}] has unknown field(s) ${unknown.join(', ')}`);
      if (Object.values(rule).some((v) => typeof v !== 'string')) {
        problems.push(`${path}[${i}] values must be strings`);
        return;
      }
      problems.push(...identityRuleProblems(rule, `${path}[${i}]`));
    });
  }
  for (const stage of stages) {
    if (typeof stage === 'string' && !Object.hasOwn(value, stage)) {
      problems.push(`identities.${stage} is missing: say who may sign every stage`);
    }
  }
  return problems;
}

/** Parses and checks a policy document; every problem is reported at once. */
export function parsePolicy(text: string, uri: string): Policy {
  if (Buffer.byteLength(text) > POLICY_LIMITS.maxBytes) {
    throw new SathosError(
      'POLICY_INVALID',
      `policy is larger than ${POLICY_LIMITS.maxBytes} bytes`,
      { where: uri },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors.map((e) => e.message.split('\n', 1)[0]).join('; ');
    throw new SathosError('POLICY_INVALID', `policy is not valid YAML: ${first}`, { where: uri });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: POLICY_LIMITS.maxAliases });
  } catch (cause) {
    throw new SathosError(
      'POLICY_INVALID',
      'policy expands too many YAML aliases; write it out plainly',
      {
        where: uri,
        cause,
      },
    );
  }
  if (!isObject(value))
    throw new SathosError('POLICY_INVALID', 'policy must be a YAML mapping', { where: uri });
  const problems: string[] = [];
  if (value.apiVersion !== POLICY_API_VERSION)
    problems.push(`apiVersion must be ${POLICY_API_VERSION}`);
  if (value.kind !== POLICY_KIND) problems.push(`kind must be ${POLICY_KIND}`);
  problems.push(...stagesProblems(value.stages));
  const stages = Array.isArray(value.stages) ? (value.stages as unknown[]) : [];
  problems.push(...identitiesProblems(value.identities, stages));
  if (value.rules !== undefined) {
    problems.push(
      'rules (CEL) are not supported by this version of sathos; remove them or upgrade',
    );
  }
  const known = ['apiVersion', 'kind', 'stages', 'identities', 'rules', 'metadata'];
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0) problems.push(`unknown top-level field(s): ${unknown.join(', ')}`);
  if (problems.length > 0) {
    throw new SathosError('POLICY_INVALID', `policy is invalid: ${problems.join('; ')}`, {
      where: uri,
    });
  }
  return {
    uri,
    digest: sha256Hex(text),
    stages: value.stages as string[],
    identities: value.identities as Record<string, IdentityRule[]>,
  };
}
