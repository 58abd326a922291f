// The policy document (docs/policy.md): the stages a chain needs, who may sign each, the CEL rules
// every decision evaluates, and what the other layers need (commit signers, deploy environments,
// anomaly settings). Loading checks the whole schema and reports every problem with its position.
import { sha256Hex } from '../../digest.js';
import type { CommitPolicy } from '../../identity/commits/signer-rules.js';
import type { AnomalyPolicy } from '../../anomaly/settings.js';
import { anomalyProblems, readAnomaly } from './anomaly.js';
import { commitsProblems, readCommits } from './commits.js';
import type { EnvironmentPolicy } from './environments.js';
import { environmentsProblems, readEnvironments } from './environments.js';
import type { Json } from './fields.js';
import { isObject } from './fields.js';
import type { PolicyIdentityRule } from './identities.js';
import { identitiesProblems, readIdentities } from './identities.js';
import type { PolicyProblem } from './problem.js';
import { PolicyInvalidError, keyProblem, problem } from './problem.js';
import type { PosturePolicy } from './posture.js';
import { postureProblems, readPosture } from './posture.js';
import type { PolicyRule } from './rules.js';
import { readRules } from './rules.js';
import { declaredStages, stagesProblems } from './stages.js';
import { readPolicyYaml } from './yaml.js';

export { POLICY_LIMITS } from './limits.js';

export const POLICY_API_VERSION = 'sathos.dev/v1';
export const POLICY_KIND = 'Policy';

const TOP_LEVEL = [
  'apiVersion',
  'kind',
  'metadata',
  'stages',
  'identities',
  'rules',
  'commits',
  'environments',
  'anomaly',
  'posture',
];

export interface Policy {
  /** Where it came from, as recorded in every decision. */
  readonly uri: string;
  /** SHA-256 hex of the exact policy bytes. */
  readonly digest: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Required stages, in order; the first is the genesis stage. */
  readonly stages: readonly string[];
  readonly identities: Readonly<Record<string, readonly PolicyIdentityRule[]>>;
  readonly rules: readonly PolicyRule[];
  readonly commits?: CommitPolicy;
  /** Deploy environments by name; a deploy anywhere else is denied. */
  readonly environments: Readonly<Record<string, EnvironmentPolicy>>;
  readonly anomaly?: AnomalyPolicy;
  /** What the workflows at the verified commit may look like (docs/posture.md). */
  readonly posture?: PosturePolicy;
}

function headerProblems(value: Json): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  if (value.apiVersion !== POLICY_API_VERSION)
    problems.push(problem(['apiVersion'], `apiVersion must be ${POLICY_API_VERSION}`));
  if (value.kind !== POLICY_KIND) problems.push(problem(['kind'], `kind must be ${POLICY_KIND}`));
  const unknown = Object.keys(value).filter((k) => !TOP_LEVEL.includes(k));
  for (const key of unknown)
    problems.push(
      keyProblem([key], `unknown top-level field(s): ${key} (known: ${TOP_LEVEL.join(', ')})`),
    );
  const metadata = value.metadata;
  if (
    metadata !== undefined &&
    (!isObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string'))
  )
    problems.push(problem(['metadata'], 'metadata must be a mapping of names to text'));
  return problems;
}

/** Parses and checks a policy document; throws PolicyInvalidError listing every located problem. */
export function parsePolicy(text: string, uri: string): Policy {
  const yaml = readPolicyYaml(text, uri);
  const value = yaml.value;
  if (!isObject(value))
    throw new PolicyInvalidError(uri, [yaml.locate(problem([], 'policy must be a YAML mapping'))]);
  const stages = declaredStages(value.stages);
  const environments = isObject(value.environments) ? Object.keys(value.environments) : [];
  const rules = readRules(value.rules, { stages, environments });
  const problems = [
    ...headerProblems(value),
    ...stagesProblems(value.stages),
    ...identitiesProblems(value.identities, stages),
    ...rules.problems,
    ...commitsProblems(value.commits),
    ...environmentsProblems(value.environments, stages),
    ...anomalyProblems(value.anomaly),
    ...postureProblems(value.posture),
  ].map(yaml.locate);
  if (problems.length > 0) throw new PolicyInvalidError(uri, problems);
  const commits = readCommits(value.commits);
  const anomaly = readAnomaly(value.anomaly);
  const posture = readPosture(value.posture);
  return {
    uri,
    digest: sha256Hex(text),
    ...(isObject(value.metadata) ? { metadata: value.metadata as Record<string, string> } : {}),
    stages,
    identities: readIdentities(value.identities as Record<string, Record<string, string>[]>),
    rules: rules.rules,
    ...(commits === undefined ? {} : { commits }),
    environments: readEnvironments(value.environments, stages),
    ...(anomaly === undefined ? {} : { anomaly }),
    ...(posture === undefined ? {} : { posture }),
  };
}
