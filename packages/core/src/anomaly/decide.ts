// The decision on each egress request, made before any upstream connection opens: the policy's
// allowedHosts allow; a host the baseline knows (k of the last N runs) allows; anything else is
// audited, blocked or halts the step, per the mode. The decider never throws: a request it cannot
// read is decided like an unknown host, and anything unexpected blocks or halts.
import type { EgressAction, EgressDecider, EgressRequest, EgressVerdict } from './events.js';
import type { HostPattern } from './hosts.js';
import {
  canonicalHost,
  canonicalHostEntryFor,
  isIpLiteral,
  isPort,
  patternCovers,
  quotedHost,
} from './hosts.js';
import type { StepPlan } from './plan.js';

/** What the mode does to a request nothing allows. */
export function unknownAction(mode: StepPlan['settings']['mode']): EgressAction {
  return mode;
}

function baselineVerdict(
  plan: StepPlan,
  host: string,
  request: EgressRequest,
): EgressVerdict | undefined {
  const key = canonicalHostEntryFor(host, request);
  let seen = plan.knownHosts.get(key);
  // A name lookup is known when the name was reached on any port.
  if (request.protocol === 'dns') {
    for (const [entry, n] of plan.knownHosts)
      if (entry === key || entry.startsWith(`${key}:`)) seen = Math.max(seen ?? 0, n);
  }
  if (seen === undefined) return undefined;
  return {
    action: plan.knownHostAction,
    rule: `baseline: seen in ${seen} of ${plan.hostRuns} runs`,
    reason:
      plan.knownHostAction === 'allow'
        ? `${key} is known from the step's baseline`
        : `${key} is known only from a baseline this run cannot trust`,
  };
}

/** The allowedHosts entries by host: exact ones, and `*.domain` ones under their domain. */
interface PatternIndex {
  readonly exact: ReadonlyMap<string, readonly number[]>;
  readonly subdomains: ReadonlyMap<string, readonly number[]>;
}

function indexPatterns(patterns: readonly HostPattern[]): PatternIndex {
  const exact = new Map<string, number[]>();
  const subdomains = new Map<string, number[]>();
  patterns.forEach((pattern, i) => {
    const map = pattern.kind === 'exact' ? exact : subdomains;
    map.set(pattern.host, [...(map.get(pattern.host) ?? []), i]);
  });
  return { exact, subdomains };
}

// Only the host's own entries and its parent domains' wildcards can cover it: the first of those in
// policy order decides, as a scan of every entry would, at a cost of one lookup per label.
function firstCovering(
  patterns: readonly HostPattern[],
  index: PatternIndex,
  host: string,
  request: EgressRequest,
): number {
  const candidates = [...(index.exact.get(host) ?? [])];
  if (!isIpLiteral(host)) {
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1))
      candidates.push(...(index.subdomains.get(host.slice(dot + 1)) ?? []));
  }
  candidates.sort((a, b) => a - b);
  return (
    candidates.find((i) => {
      const pattern = patterns[i];
      return pattern !== undefined && patternCovers(pattern, host, request);
    }) ?? -1
  );
}

function decideOne(plan: StepPlan, index: PatternIndex, request: EgressRequest): EgressVerdict {
  const mode = plan.settings.mode;
  const host = canonicalHost(request.host);
  if (host === undefined || (request.protocol !== 'dns' && !isPort(request.port))) {
    return {
      action: unknownAction(mode),
      rule: 'default',
      reason: `${quotedHost(request.host)} port ${String(request.port)} is not a host and port that can be allowed`,
    };
  }
  const found = firstCovering(plan.settings.allowedHosts, index, host, request);
  const pattern = plan.settings.allowedHosts[found];
  if (pattern !== undefined)
    return {
      action: 'allow',
      rule: `allowedHosts[${found}]`,
      reason: `${pattern.text} is allowed by the policy`,
    };
  const known = baselineVerdict(plan, host, request);
  if (known !== undefined) return known;
  const what = canonicalHostEntryFor(host, request);
  return {
    action: unknownAction(mode),
    rule: 'default',
    reason:
      !plan.judgesHosts && mode === 'audit'
        ? `${what} is recorded: no policy names this step's hosts and no baseline knows them yet`
        : plan.learning
          ? `${what} is neither allowed nor known (the baseline is still learning)`
          : `${what} is neither allowed by the policy nor known from the baseline`,
  };
}

/** The decider the supervisor and the gateway call for every request of the step. */
export function egressDecider(plan: StepPlan): EgressDecider {
  const index = indexPatterns(plan.settings.allowedHosts);
  return (request) => {
    try {
      return decideOne(plan, index, request);
    } catch (error) {
      // Fail closed: nothing unexpected connects.
      return {
        action: plan.settings.mode === 'halt' ? 'halt' : 'block',
        rule: 'error',
        reason: `the request could not be decided: ${String(error)}`,
      };
    }
  };
}
