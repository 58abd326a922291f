// What a policy decision costs: a 10-rule policy evaluated for a deploy over a realistic chain of five
// records with their evidence (target < 50 µs per decision after load), against JSON.parse of the same
// input; loading the policy (YAML, schema, CEL compilation; target < 50 ms), against the YAML parse
// alone; and verify-chain --policy over 10,000 records (every record's decision re-evaluated), time
// and peak memory per record against the 10-record chain verified as often (bench/chain-scale.ts).
import { parse as parseYaml } from 'yaml';
import {
  buildTransitionStatement,
  celVariables,
  evaluatePolicy,
  parseEvaluationInput,
  parsePolicy,
  policyFromBytes,
  sha256Hex,
  slsaProvenance,
  stepVariables,
  testResult,
  verificationSummary,
  vulnerabilityScan,
  type RecordView,
  type RunBinding,
  type Statement,
} from '@sathos/core';
import { scaleRows } from './chain-scale.js';
import { measure, ratio, type BenchRow, type Measurement } from './lib.js';

const DECISION_TARGET_US = 50;
const LOAD_TARGET_MS = 50;
export const KEY_ID = `sha256:${'b'.repeat(64)}`;
const STAGES = ['source', 'build', 'test', 'scan', 'decision', 'deploy'];

export const RUN: RunBinding = {
  repository: 'bench/app',
  workflowRef: 'bench/app/.github/workflows/release.yml@refs/heads/main',
  runId: '42',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};
export const APP = [{ name: 'app.tar', digest: { sha256: sha256Hex('app') } }];

export const RULES: readonly [string, string][] = [
  ['on-main', "run.workflowRef.endsWith('@refs/heads/main')"],
  [
    'all-stages',
    "['source', 'build', 'test', 'scan', 'decision'].all(s, records.exists(r, r.stage == s))",
  ],
  ['all-allowed', "records.all(r, r.policy.decision == 'allow')"],
  ['one-signer', 'records.all(r, r.signer.keyId == identity.keyId)'],
  [
    'tests-passed',
    "records.exists(r, r.stage == 'test' && r.evidence.testResult.result == 'PASSED')",
  ],
  [
    'no-failed-tests',
    "records.all(r, r.stage != 'test' || size(r.evidence.testResult.failedTests) == 0)",
  ],
  [
    'nothing-critical',
    "records.all(r, r.stage != 'scan' || r.evidence.vulns.scanner.result.all(f, f.severity.all(s, !(s.score in ['CRITICAL', 'HIGH']))))",
  ],
  [
    'gate-passed',
    "records.exists(r, r.stage == 'decision' && r.evidence.verificationSummary.verificationResult == 'PASSED')",
  ],
  [
    'same-subject',
    "subjects.all(s, records.exists(r, r.stage == 'build' && r.subjects.exists(t, t.digest.sha256 == s.digest.sha256)))",
  ],
  ['known-environment', "environment.matches('^(staging|production)$')"],
];

/** Ten rules of the shape the issue's example has: field comparisons, no walk over the chain. */
const FIELD_RULES: readonly [string, string][] = [
  ['repository', "run.repository == 'bench/app'"],
  ['attempt', 'run.runAttempt == 1'],
  ['signer', "identity.keyId.startsWith('sha256:')"],
  ['environment', "environment == 'production'"],
  ['subject', "subjects[0].digest.sha256 != ''"],
  ['observed', 'has(observations.environment)'],
  ['five-records', 'size(records) == 5'],
  ['genesis', "records[0].stage == 'source'"],
  ['tests-passed', "records[2].evidence.testResult.result == 'PASSED'"],
  ['gate-allowed', "records[4].policy.decision == 'allow'"],
];

function policyText(rules: readonly [string, string][]): string {
  return [
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    `stages: [${STAGES.join(', ')}]`,
    'identities:',
    ...STAGES.map((s) => `  ${s}: [{ keyId: "${KEY_ID}" }]`),
    'rules:',
    ...rules.flatMap(([id, expression]) => [
      `  - id: ${id}`,
      `    expression: "${expression}"`,
      `    message: ${id} must hold`,
    ]),
    'environments:',
    '  production: { requiredStages: [source, build, test, scan, decision] }',
    '',
  ].join('\n');
}

export const POLICY_TEXT = policyText(RULES);

/** The evidence an honest step of each stage carries. */
function evidence(stage: string): Statement[] {
  const when = new Date(0);
  switch (stage) {
    case 'build':
      return [
        slsaProvenance(APP, {
          serverUrl: 'https://github.com',
          repository: RUN.repository,
          workflowPath: '.github/workflows/release.yml',
          ref: 'refs/heads/main',
          commit: RUN.commit,
          eventName: 'push',
          runnerEnvironment: 'github-hosted',
          runId: RUN.runId,
          runAttempt: 1,
          builderId: `https://github.com/${RUN.workflowRef}`,
        }),
      ];
    case 'test':
      return [
        testResult(APP, {
          passed: Array.from({ length: 40 }, (_, i) => `t${i}.test.js`),
          failed: [],
        }),
      ];
    case 'scan':
      return [
        vulnerabilityScan(APP, {
          scannerUri: 'https://example.com/scanner',
          scannerVersion: '1.0.0',
          findings: Array.from({ length: 10 }, (_, i) => ({
            id: `CVE-2026-${i}`,
            severity: 'LOW',
          })),
          startedOn: when,
          finishedOn: when,
        }),
      ];
    case 'decision':
      return [
        verificationSummary(APP, {
          verifierId: 'https://example.com/gate',
          time: when,
          resourceUri: 'git+bench/app',
          policy: { uri: 'policy.yaml' },
          inputs: [],
          passed: true,
          levels: ['SATHOS_CHAIN_PARTIAL'],
        }),
      ];
    default:
      return [];
  }
}

/** source → decision, each record linked to the one before, with a recorded allow decision. */
export function chainSoFar(): RecordView[] {
  const views: RecordView[] = [];
  for (const [sequence, stage] of STAGES.slice(0, 5).entries()) {
    const prev = views.at(-1);
    const statement = buildTransitionStatement({
      stage,
      subjects:
        stage === 'source' ? [{ name: 'git+bench/app', digest: { gitCommit: RUN.commit } }] : APP,
      run: RUN,
      link:
        prev === undefined
          ? { sequence: 0, previous: [] }
          : {
              sequence,
              genesis: { sha256: views[0]?.digest ?? '' },
              previous: [{ digest: { sha256: prev.digest } }],
            },
      actor: { kind: 'key', keyId: KEY_ID },
      policy: {
        uri: 'policy.yaml',
        digest: { sha256: sha256Hex(POLICY_TEXT) },
        decision: 'allow',
        reasons: [],
      },
      evidence: [],
    });
    views.push({
      digest: sha256Hex(JSON.stringify(statement)),
      statement,
      signer: { kind: 'key', keyId: KEY_ID },
      evidence: evidence(stage),
    });
  }
  return views;
}

/** A policy of the usual shape for re-evaluating long chains: per-stage checks, one chain walk at deploy. */
function scalePolicy(keyId: string): string {
  const stages = ['source', 'build', 'test', 'deploy'];
  return [
    'apiVersion: sathos.dev/v1',
    'kind: Policy',
    `stages: [${stages.join(', ')}]`,
    'identities:',
    ...stages.map((s) => `  ${s}: [{ keyId: "${keyId}" }]`),
    'rules:',
    '  - id: on-main',
    `    expression: "run.workflowRef.endsWith('@refs/heads/main')"`,
    '    message: only main is released',
    '  - id: signed-by-key',
    `    expression: "identity.keyId.startsWith('sha256:')"`,
    '    message: key-signed steps only',
    '  - id: built-first',
    '    stage: test',
    `    expression: "records.exists(r, r.stage == 'build')"`,
    '    message: a test follows a build',
    '  - id: deploy-after-test',
    '    stage: deploy',
    `    expression: "records.exists(r, r.stage == 'test' && r.policy.decision == 'allow')"`,
    '    message: deploy only after an allowed test',
    'environments:',
    '  production: { requiredStages: [source, build, test] }',
    '',
  ].join('\n');
}

const micros = (m: Measurement): number => Math.round(m.medianNs / 10) / 100;
const millis = (m: Measurement): number => Math.round(m.medianNs / 10_000) / 100;

/** Hostile input must be decided, not waited on: each refusal or decision within these bounds. */
const HOSTILE_TARGET_MS = { huge: 2000, bomb: 2000, regex: 1000 } as const;

/** Eight levels of nine aliases each: 9^9 strings once expanded. */
function aliasBomb(): string {
  const rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [prev = '', name = ''] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) {
    rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  return rows.join('\n');
}

/** Runs `fn`, which must throw: a hostile input that is accepted is a bug, not a measurement. */
function refused(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch {
    return;
  }
  throw new Error(`bench: ${what} was accepted`);
}

/**
 * What hostile policy input costs (sathos policy check|test's cases): a 20 MB policy refused by
 * size, a YAML alias bomb refused, and `matches('^(a+)+$')` decided over 5,000 characters (RE2, no
 * backtracking); each against the YAML parse of the ordinary policy, measured in the same run.
 */
export async function hostileRows(yamlOnly: Measurement): Promise<BenchRow[]> {
  const huge = Buffer.from(`${POLICY_TEXT}#${'x'.repeat(20 * 1024 * 1024)}\n`);
  const bomb = aliasBomb();
  const evil = parsePolicy(
    policyText([['no-evil-names', "!subjects.exists(s, s.name.matches('^(a+)+$'))"]]),
    'evil.yaml',
  );
  const input = JSON.stringify({ subjects: [{ name: `${'a'.repeat(5000)}!` }] });
  const decide = () =>
    evaluatePolicy(evil, { stage: 'scan', variables: parseEvaluationInput(input, 'input') });
  if (!decide().allowed) throw new Error('bench: the (a+)+ rule denied a name it cannot match');
  const rows: [string, Measurement, number][] = [
    [
      'policy: a 20 MB policy refused by size',
      await measure(
        () => {
          refused(() => policyFromBytes(huge, 'huge.yaml'), 'a 20 MB policy');
        },
        { minIterations: 5 },
      ),
      HOSTILE_TARGET_MS.huge,
    ],
    [
      'policy: a YAML alias bomb (9^9 expansions) refused',
      await measure(
        () => {
          refused(() => parsePolicy(bomb, 'bomb.yaml'), 'an alias bomb');
        },
        { minIterations: 5 },
      ),
      HOSTILE_TARGET_MS.bomb,
    ],
    [
      "policy: matches('^(a+)+$') decided over 5,000 characters",
      await measure(decide, { minIterations: 5 }),
      HOSTILE_TARGET_MS.regex,
    ],
  ];
  return rows.map(([name, m, targetMs]) => ({
    name,
    value: millis(m),
    unit: 'ms',
    yardstick: `YAML parse of the ${RULES.length}-rule policy, ${millis(yamlOnly)} ms`,
    ratio: ratio(m, yamlOnly),
    target: `< ${targetMs} ms`,
    pass: m.medianNs / 1e6 < targetMs,
  }));
}

export default async function run(): Promise<BenchRow[]> {
  const policy = parsePolicy(POLICY_TEXT, 'policy.yaml');
  const input = stepVariables({
    stage: 'deploy',
    run: RUN,
    previous: chainSoFar(),
    identity: { kind: 'key', keyId: KEY_ID },
    subjects: APP,
    observations: { environment: 'production' },
    environment: 'production',
  });
  const json = JSON.stringify(input);
  const variables = celVariables(input);
  const request = { stage: 'deploy', variables };
  const check = evaluatePolicy(policy, request);
  if (!check.allowed || check.results.length !== RULES.length) {
    throw new Error(
      `bench input is not an allowed 10-rule decision: ${JSON.stringify(check.results)}`,
    );
  }

  const decision = await measure(() => evaluatePolicy(policy, request), { minIterations: 200 });
  const fieldPolicy = parsePolicy(policyText(FIELD_RULES), 'fields.yaml');
  const fieldCheck = evaluatePolicy(fieldPolicy, request);
  if (!fieldCheck.allowed)
    throw new Error(`bench field rules deny: ${JSON.stringify(fieldCheck.results)}`);
  const fields = await measure(() => evaluatePolicy(fieldPolicy, request), { minIterations: 200 });
  const prepared = await measure(
    () =>
      evaluatePolicy(policy, {
        stage: 'deploy',
        variables: celVariables(JSON.parse(json) as Record<string, unknown>),
      }),
    {
      minIterations: 200,
    },
  );
  const jsonParse = await measure(() => JSON.parse(json), { minIterations: 200 });
  const load = await measure(() => parsePolicy(POLICY_TEXT, 'policy.yaml'), { minIterations: 20 });
  const yamlOnly = await measure(() => parseYaml(POLICY_TEXT), { minIterations: 20 });

  return [
    {
      name: `policy: one decision, ${RULES.length} chain-walking rules over a ${json.length}-byte chain input`,
      value: micros(decision),
      unit: 'µs',
      yardstick: `JSON.parse of the same input, ${micros(jsonParse)} µs`,
      ratio: ratio(decision, jsonParse),
      target: `< ${DECISION_TARGET_US} µs`,
      pass: decision.medianNs / 1000 < DECISION_TARGET_US,
    },
    {
      name: `policy: one decision, ${FIELD_RULES.length} field-comparison rules, same input`,
      value: micros(fields),
      unit: 'µs',
      yardstick: `JSON.parse of the same input, ${micros(jsonParse)} µs`,
      ratio: ratio(fields, jsonParse),
      target: `< ${DECISION_TARGET_US} µs`,
      pass: fields.medianNs / 1000 < DECISION_TARGET_US,
    },
    {
      name: 'policy: one decision from the JSON text (parse, prepare, evaluate)',
      value: micros(prepared),
      unit: 'µs',
      yardstick: `JSON.parse of the same input, ${micros(jsonParse)} µs`,
      ratio: ratio(prepared, jsonParse),
    },
    {
      name: `policy: load (YAML, schema, ${RULES.length} CEL rules compiled)`,
      value: millis(load),
      unit: 'ms',
      yardstick: `YAML parse alone, ${millis(yamlOnly)} ms`,
      ratio: ratio(load, yamlOnly),
      target: `< ${LOAD_TARGET_MS} ms`,
      pass: load.medianNs / 1e6 < LOAD_TARGET_MS,
    },
    ...(await hostileRows(yamlOnly)),
    ...(await scaleRows({
      label: 'verify-chain --policy',
      sizes: [10_000],
      subjects: 1,
      policy: {
        text: scalePolicy,
        recorded: {
          uri: 'policy.yaml',
          digest: { sha256: sha256Hex('policy.yaml') },
          decision: 'allow',
          reasons: [],
        },
      },
    })),
  ];
}
