// One severity scale for findings, whatever wrote them: critical, high, medium, low, none — and
// unknown when nothing readable was given, which a policy must treat as it chooses (never as none).
// Scores map as GitHub code scanning maps `security-severity` (CVSS-like, 0.0–10.0): over 9.0
// critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low, 0 none.

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Worst first: a finding scored by several methods takes the worst readable one. */
const RANK: Readonly<Record<Severity, number>> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  none: 1,
  unknown: 0,
};

const WORDS: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  low: 'low',
  negligible: 'none',
  none: 'none',
  info: 'none',
  informational: 'none',
};

/** A CVSS-like score 0.0–10.0 as a severity; anything else is unknown. */
export function severityOfScore(score: number): Severity {
  if (!Number.isFinite(score) || score < 0 || score > 10) return 'unknown';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return score > 0 ? 'low' : 'none';
}

/** A score as text: a severity word (any case) or a number 0–10; anything else is unknown. */
export function severityOfText(score: string): Severity {
  const word = WORDS[score.trim().toLowerCase()];
  if (word !== undefined) return word;
  return /^\d{1,2}(\.\d+)?$/.test(score.trim()) ? severityOfScore(Number(score)) : 'unknown';
}

export function worse(a: Severity, b: Severity): Severity {
  return RANK[b] > RANK[a] ? b : a;
}

/** The worst readable severity of a vulns predicate's `severity` list; unknown when none is readable. */
export function severityOfEntries(entries: unknown): Severity {
  if (!Array.isArray(entries)) return 'unknown';
  let out: Severity = 'unknown';
  for (const entry of entries) {
    const score = (entry as { score?: unknown } | null)?.score;
    if (typeof score === 'string') out = worse(out, severityOfText(score));
    else if (typeof score === 'number') out = worse(out, severityOfScore(score));
  }
  return out;
}
