// Findings as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), the
// format GitHub code scanning reads to show each finding on its workflow line.
import type { PostureFinding, Severity } from './findings.js';
import type { FindingRule } from '../policy/document/posture.js';
import { FINDING_RULES } from '../policy/document/posture.js';

export const SARIF_VERSION = '2.1.0';
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifResult {
  readonly ruleId: FindingRule;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: readonly {
    readonly physicalLocation: {
      readonly artifactLocation: { readonly uri: string; readonly uriBaseId: '%SRCROOT%' };
      readonly region: { readonly startLine: number; readonly startColumn: number };
    };
  }[];
  readonly partialFingerprints: { readonly 'sathosFinding/v1': string };
  readonly properties: { readonly job: string; readonly severity: Severity };
}

export interface SarifRule {
  readonly id: FindingRule;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly helpUri: string;
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: { readonly tags: readonly string[]; readonly 'security-severity': string };
}

export interface SarifLog {
  readonly $schema: typeof SARIF_SCHEMA;
  readonly version: typeof SARIF_VERSION;
  readonly runs: readonly [
    {
      readonly tool: {
        readonly driver: {
          readonly name: string;
          readonly version: string;
          readonly informationUri: string;
          readonly rules: readonly SarifRule[];
        };
      };
      readonly results: readonly SarifResult[];
    },
  ];
}

/** What each rule guards against, one line (docs/posture.md has the attacks). */
export const RULE_SUMMARIES: Readonly<Record<FindingRule, { severity: Severity; text: string }>> = {
  'untrusted-checkout': {
    severity: 'critical',
    text: 'A privileged trigger checks out and runs a pull request’s code',
  },
  'expression-injection': {
    severity: 'high',
    text: 'An attacker-controlled expression is spliced into a script',
  },
  'unpinned-action': {
    severity: 'high',
    text: 'A third-party action or image is pinned by a movable ref',
  },
  'unpinned-first-party-action': {
    severity: 'low',
    text: 'A first-party action is pinned by a movable ref',
  },
  'token-default-permissions': {
    severity: 'medium',
    text: 'A job’s token gets the repository default permissions',
  },
  'token-write-all': { severity: 'high', text: 'A job’s token may write to every scope' },
  'token-workflow-write': {
    severity: 'medium',
    text: 'Write permissions granted to every job of a workflow',
  },
  'persist-credentials': {
    severity: 'medium',
    text: 'actions/checkout leaves the token in .git/config',
  },
  'cache-in-release': { severity: 'high', text: 'A release job restores a poisonable cache' },
  'self-hosted-untrusted': {
    severity: 'high',
    text: 'A self-hosted runner runs outsider-triggered jobs',
  },
  'secrets-inherit': {
    severity: 'medium',
    text: 'Every secret is handed to a workflow of another repository',
  },
};

const SCORE: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};
const LEVEL: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** One SARIF log with every rule described and every finding located. */
export function postureSarif(
  findings: readonly PostureFinding[],
  tool: { readonly version: string; readonly informationUri: string },
): SarifLog {
  const rules: SarifRule[] = FINDING_RULES.map((id) => {
    const s = RULE_SUMMARIES[id];
    return {
      id,
      name: id.replace(/(^|-)([a-z])/g, (_, __: string, c: string) => c.toUpperCase()),
      shortDescription: { text: s.text },
      helpUri: `${tool.informationUri}#${id}`,
      defaultConfiguration: { level: LEVEL[s.severity] },
      properties: { tags: ['security', 'github-actions'], 'security-severity': SCORE[s.severity] },
    };
  });
  const results: SarifResult[] = findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: FINDING_RULES.indexOf(f.rule),
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Fix: ${f.fix}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.file, uriBaseId: '%SRCROOT%' },
          region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.col) },
        },
      },
    ],
    partialFingerprints: { 'sathosFinding/v1': `${f.rule}:${f.file}:${f.job}:${f.line}` },
    properties: { job: f.job, severity: f.severity },
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: 'sathos-posture',
            version: tool.version,
            informationUri: tool.informationUri,
            rules,
          },
        },
        results,
      },
    ],
  };
}
