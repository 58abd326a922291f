// One SARIF result as a vulns v0.2 entry: its rule found by index or id (the driver's or an
// extension's), its severity scored as sarif.ts says, where it was found, and whether the log
// marks it suppressed. Reads whatever the log holds without trusting any of it to be well typed.
import type { Json } from './report.js';
import { clip, isObject } from './report.js';
import type { Severity } from './severity.js';
import { severityOfScore, worse } from './severity.js';

/** A SARIF level as a severity: an error reads as high, a warning (SARIF's default) as medium. */
const LEVEL_SEVERITY: Readonly<Record<string, Severity>> = {
  error: 'high',
  warning: 'medium',
  note: 'low',
  none: 'none',
};

export interface SarifFinding {
  readonly id: string;
  readonly severity: readonly { readonly method: string; readonly score: string }[];
  readonly annotations: readonly Readonly<Record<string, unknown>>[];
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface Rules {
  readonly byId: ReadonlyMap<string, Json>;
  readonly byIndex: readonly unknown[];
}

/** Every rule of the run's tool and its extensions by id, and the driver's rules by index. */
export function rulesOf(run: Json): Rules {
  const tool = isObject(run.tool) ? run.tool : {};
  const extensions: unknown[] = Array.isArray(tool.extensions) ? tool.extensions : [];
  const components = [tool.driver, ...extensions];
  const byId = new Map<string, Json>();
  for (const component of components) {
    const rules = isObject(component) && Array.isArray(component.rules) ? component.rules : [];
    for (const rule of rules) {
      if (isObject(rule) && typeof rule.id === 'string' && !byId.has(rule.id))
        byId.set(rule.id, rule);
    }
  }
  const driver = isObject(tool.driver) ? tool.driver : {};
  return { byId, byIndex: Array.isArray(driver.rules) ? driver.rules : [] };
}

function ruleOf(result: Json, rules: Rules): Json | undefined {
  const ref = isObject(result.rule) ? result.rule : {};
  const index = Number.isSafeInteger(result.ruleIndex) ? result.ruleIndex : ref.index;
  const byIndex =
    typeof index === 'number' && !isObject(ref.toolComponent) ? rules.byIndex[index] : undefined;
  if (isObject(byIndex)) return byIndex;
  const id = text(result.ruleId) ?? text(ref.id);
  return id === undefined ? undefined : rules.byId.get(id);
}

function scoreSeverity(score: string): Severity {
  return /^\d{1,2}(\.\d+)?$/.test(score) ? severityOfScore(Number(score)) : 'unknown';
}

/**
 * The security-severity of the result or its rule: the worse readable one when both give one, so
 * a result cannot score itself below its rule (a 0.1 on a result of a 9.8 rule stays critical).
 */
function securitySeverity(result: Json, rule: Json | undefined): string | undefined {
  const scores: string[] = [];
  for (const holder of [result, rule]) {
    const properties = isObject(holder) && isObject(holder.properties) ? holder.properties : {};
    const value = properties['security-severity'];
    if (typeof value === 'string' && value.trim() !== '') scores.push(value.trim());
    if (typeof value === 'number') scores.push(String(value));
  }
  const readable = scores.filter((s) => scoreSeverity(s) !== 'unknown');
  if (readable.length === 0) return scores[0];
  return readable.reduce((a, b) =>
    worse(scoreSeverity(a), scoreSeverity(b)) === scoreSeverity(a) ? a : b,
  );
}

function severityOf(result: Json, rule: Json | undefined): SarifFinding['severity'] {
  const score = securitySeverity(result, rule);
  if (score !== undefined) {
    const numeric = scoreSeverity(score);
    return [
      { method: 'severity', score: numeric },
      { method: 'security-severity', score: clip(score) },
    ];
  }
  const config =
    isObject(rule) && isObject(rule.defaultConfiguration) ? rule.defaultConfiguration : {};
  const level = text(result.level) ?? text(config.level) ?? 'warning';
  return [
    { method: 'severity', score: LEVEL_SEVERITY[level] ?? 'unknown' },
    { method: 'sarif-level', score: clip(level) },
  ];
}

function locationOf(result: Json): string | undefined {
  const first: unknown = Array.isArray(result.locations) ? result.locations[0] : undefined;
  const physical =
    isObject(first) && isObject(first.physicalLocation) ? first.physicalLocation : {};
  const artifact = isObject(physical.artifactLocation) ? physical.artifactLocation : {};
  const uri = text(artifact.uri);
  if (uri === undefined) return undefined;
  const region = isObject(physical.region) ? physical.region : {};
  return clip(Number.isSafeInteger(region.startLine) ? `${uri}:${String(region.startLine)}` : uri);
}

/** Suppressed (SARIF §3.27.23): any suppression that is not rejected nor still under review. */
function isSuppressed(result: Json): boolean {
  if (!Array.isArray(result.suppressions)) return false;
  return result.suppressions.some(
    (s) => isObject(s) && s.status !== 'rejected' && s.status !== 'underReview',
  );
}

export function findingOf(result: Json, rules: Rules, tool: string): SarifFinding {
  const rule = ruleOf(result, rules);
  const ref = isObject(result.rule) ? result.rule : {};
  const id = text(result.ruleId) ?? text(ref.id) ?? text(rule?.id) ?? '(no rule id)';
  const message = isObject(result.message) ? text(result.message.text) : undefined;
  const location = locationOf(result);
  const annotation = {
    tool,
    ...(location === undefined ? {} : { location }),
    ...(message === undefined ? {} : { message: clip(message) }),
    ...(isSuppressed(result) ? { suppressed: true } : {}),
  };
  return { id: clip(id), severity: severityOf(result, rule), annotations: [annotation] };
}
