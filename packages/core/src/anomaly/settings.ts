// What the anomaly layer is configured with: the mode, the hosts a step may reach, the duration
// ratio and how much history a baseline needs. The policy's `anomaly` section (core/policy/document)
// parses into this shape; the anomaly layer defines it so that it imports nothing above the foundation.

export const ANOMALY_MODES = ['audit', 'block', 'halt'] as const;
export type AnomalyMode = (typeof ANOMALY_MODES)[number];

export interface AnomalyPolicy {
  readonly mode?: AnomalyMode;
  readonly allowedHosts: readonly string[];
  /** A step may run this many times its baseline's median duration (> 1). */
  readonly durationRatio?: number;
  /** Below this many recorded runs a baseline only records: it sets no deadline (≥ 1). */
  readonly minRuns?: number;
  /** A host is known when seen in at least `seen` of the last `of` recorded runs. */
  readonly knownAfter?: { readonly seen: number; readonly of: number };
}

/** The most runs a baseline keeps (older runs age out); `knownAfter.of` cannot exceed it. */
export const ANOMALY_MAX_WINDOW = 50;
