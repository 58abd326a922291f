// `environments`: the places a deploy may go, and what each demands before a deploy reaches it.
// A deploy to an environment the policy does not declare is denied; so is, once a policy declares
// any environment, a deploy that names none (it would skip every environment's demands).
import type { PolicyProblem } from './problem.js';
import { problem } from './problem.js';
import { isObject, isString, stringListProblems, unknownFields } from './fields.js';
import { POLICY_LIMITS } from './limits.js';
import type { GateDemands } from './gate-demands.js';
import { gateDemandProblems, readGateDemands } from './gate-demands.js';

export const ENVIRONMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface EnvironmentPolicy {
  /** Stages that must be in the chain before a deploy here, in policy order. Default: none beyond `stages`. */
  readonly requiredStages: readonly string[];
  readonly description?: string;
  /** What the deploy gate demands before it allows a deploy here (change windows, approvals, anomalies). */
  readonly gate: GateDemands;
}

const ENVIRONMENT_FIELDS = [
  'requiredStages',
  'description',
  'changeWindows',
  'approvals',
  'anomalies',
];

/**
 * The SLSA verification summary level a passing decision names (`SATHOS_DEPLOY_PRODUCTION`). GitHub
 * environment names are case-insensitive and a level folds `.`, `-` and `_`, so two declared names
 * that share a level are refused: a summary must say which environment passed.
 */
export function environmentLevel(name: string): string {
  return `SATHOS_DEPLOY_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function collisionProblems(names: readonly string[]): PolicyProblem[] {
  const first = new Map<string, string>();
  const problems: PolicyProblem[] = [];
  for (const name of names) {
    const level = environmentLevel(name);
    const earlier = first.get(level);
    if (earlier === undefined) first.set(level, name);
    else
      problems.push(
        problem(
          ['environments', name],
          `environments.${name} and environments.${earlier} are one environment to GitHub and to the decision's summary (${level}); declare it once`,
        ),
      );
  }
  return problems;
}

export function environmentsProblems(value: unknown, stages: readonly string[]): PolicyProblem[] {
  if (value === undefined) return [];
  if (!isObject(value))
    return [
      problem(['environments'], 'environments must map each environment name to its requirements'),
    ];
  const names = Object.keys(value);
  if (names.length > POLICY_LIMITS.maxEnvironments)
    return [
      problem(
        ['environments'],
        `environments has more than ${POLICY_LIMITS.maxEnvironments} entries`,
      ),
    ];
  const collisions = collisionProblems(names);
  return [
    ...collisions,
    ...names.flatMap((name) => {
      const path = ['environments', name];
      const env = value[name];
      const problems: PolicyProblem[] = [];
      if (!ENVIRONMENT_PATTERN.test(name))
        problems.push(
          problem(
            path,
            `environments.${name} is not a valid environment name (${String(ENVIRONMENT_PATTERN)})`,
          ),
        );
      if (env === null || env === undefined) return problems;
      if (!isObject(env))
        return [
          ...problems,
          problem(
            path,
            `environments.${name} must be an object {${ENVIRONMENT_FIELDS.join(', ')}}`,
          ),
        ];
      problems.push(...unknownFields(env, ENVIRONMENT_FIELDS, path));
      problems.push(...gateDemandProblems(env, path));
      if (env.description !== undefined && !isString(env.description))
        problems.push(
          problem([...path, 'description'], `environments.${name}.description must be text`),
        );
      if (env.requiredStages !== undefined) {
        problems.push(
          ...stringListProblems(
            env.requiredStages,
            [...path, 'requiredStages'],
            POLICY_LIMITS.maxStages,
            (s, p) =>
              stages.includes(s)
                ? []
                : [
                    problem(
                      p,
                      `environments.${name}.requiredStages names stage "${s}" the policy does not declare`,
                    ),
                  ],
          ),
        );
      }
      return problems;
    }),
  ];
}

/** The environments of a valid section; `name: {}` or `name:` alone declares one with no extra demand. */
export function readEnvironments(
  value: unknown,
  stages: readonly string[],
): Record<string, EnvironmentPolicy> {
  if (!isObject(value)) return {};
  const out: Record<string, EnvironmentPolicy> = {};
  for (const [name, env] of Object.entries(value)) {
    const required =
      isObject(env) && Array.isArray(env.requiredStages) ? (env.requiredStages as string[]) : [];
    out[name] = {
      requiredStages: stages.filter((s) => required.includes(s)),
      ...(isObject(env) && isString(env.description) ? { description: env.description } : {}),
      gate: readGateDemands(env),
    };
  }
  return out;
}

/** The stage whose decisions must name an environment once the policy declares environments. */
export const DEPLOY_STAGE = 'deploy';

/**
 * Deny by default: a deploy decision that names no environment, under a policy that declares
 * environments, would escape every `environments:` demand and every environment-scoped rule.
 */
export function missingEnvironment(
  environments: Readonly<Record<string, EnvironmentPolicy>>,
  stage: string,
  environment: string,
): string | undefined {
  const declared = Object.keys(environments);
  if (stage !== DEPLOY_STAGE || environment !== '' || declared.length === 0) return undefined;
  return `a deploy must name the environment it deploys to (observations.environment), one of ${declared.join(', ')}`;
}
