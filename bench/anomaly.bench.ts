// What the anomaly layer's pure half costs a supervised step, at its limits: one egress decision
// with 1,024 allowedHosts patterns and a full baseline (50 runs of 256 hosts), against reducing the
// host to its canonical spelling alone; planning the step from that baseline and reading the file,
// against JSON.parse of the same text.
import {
  BASELINE_LIMITS,
  anomalySettings,
  canonicalHost,
  egressDecider,
  parseBaseline,
  planStep,
  serializeBaseline,
  type Baseline,
} from '@sathos/core';
import { measure, ratio, type BenchRow, type Measurement } from './lib.js';

const DECISION_TARGET_US = 50;
const PLAN_TARGET_MS = 50;

const micros = (m: Measurement) => Math.round(m.medianNs / 100) / 10;
const millis = (m: Measurement) => Math.round(m.medianNs / 1e4) / 100;

function fullBaseline(): Baseline {
  const runs = Array.from({ length: BASELINE_LIMITS.maxRuns }, (_, run) => ({
    at: 1_800_000_000_000 + run,
    durationMs: 60_000 + ((run * 7919) % 5000),
    hosts: Array.from(
      { length: BASELINE_LIMITS.maxHostsPerRun },
      (_, h) => `host-${(h + run) % 300}.registry.example:443`,
    ).sort(),
  }));
  return { step: 'build', runs };
}

export default async function run(): Promise<BenchRow[]> {
  const patterns = Array.from({ length: 1024 }, (_, i) =>
    i % 2 === 0 ? `*.tenant-${i}.example.com` : `api-${i}.example.net:443`,
  );
  const baseline = fullBaseline();
  const text = serializeBaseline(baseline);
  const settings = anomalySettings(undefined, { allowHosts: patterns }, 'bench');
  const plan = planStep(settings, baseline);
  const decide = egressDecider(plan);
  // The worst case: a host no pattern covers and the baseline does not know, so every one is tried.
  const request = {
    host: 'Exfil.Attacker.Example.',
    port: 443,
    protocol: 'connect',
    at: 0,
  } as const;
  const decision = await measure(() => decide(request), { minIterations: 2000 });
  const canonical = await measure(() => canonicalHost(request.host), { minIterations: 2000 });
  const planned = await measure(() => planStep(settings, parseBaseline(text, 'bench')), {
    minIterations: 20,
  });
  const parseOnly = await measure(() => JSON.parse(text), { minIterations: 20 });
  return [
    {
      name: `anomaly: one egress decision, 1,024 allowedHosts, a baseline of ${BASELINE_LIMITS.maxRuns} runs × ${BASELINE_LIMITS.maxHostsPerRun} hosts, unknown host`,
      value: micros(decision),
      unit: 'µs',
      yardstick: `canonicalHost of the same host alone, ${micros(canonical)} µs`,
      ratio: ratio(decision, canonical),
      target: `< ${DECISION_TARGET_US} µs`,
      pass: decision.medianNs / 1000 < DECISION_TARGET_US,
    },
    {
      name: `anomaly: read and plan from that baseline (${Math.round(text.length / 1024)} KiB: validate, statistics, k-of-N counts)`,
      value: millis(planned),
      unit: 'ms',
      yardstick: `JSON.parse of the same text, ${millis(parseOnly)} ms`,
      ratio: ratio(planned, parseOnly),
      target: `< ${PLAN_TARGET_MS} ms`,
      pass: planned.medianNs / 1e6 < PLAN_TARGET_MS,
    },
  ];
}
