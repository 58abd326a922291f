// The vocabulary shared by the anomaly layer's pure decisions (core/src/anomaly) and its I/O
// (packages/guard): what the supervisor saw, and what it was told to do about it. The gateway asks
// before any upstream connection opens; the answer is final for that connection.

/** How a step's egress reached the gateway. */
export type EgressProtocol = 'connect' | 'http' | 'dns';

/** One attempt to reach a host, as the gateway saw it before connecting anywhere. */
export interface EgressRequest {
  /** Lowercased host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly protocol: EgressProtocol;
  /** Milliseconds since the epoch, from the supervisor's clock. */
  readonly at: number;
  /** The process that asked, where the sandbox can tell. */
  readonly pid?: number;
}

/**
 * What happens to a request: `allow` connects; `audit` connects and records a finding; `block`
 * refuses this connection and the step goes on; `halt` refuses and ends the whole process tree.
 */
export type EgressAction = 'allow' | 'audit' | 'block' | 'halt';

export interface EgressVerdict {
  readonly action: EgressAction;
  /** The rule that decided, for the log: `allowedHosts[2]`, `baseline: seen in 8 of 10 runs`, `default`. */
  readonly rule: string;
  readonly reason: string;
}

/** A decided request, as the supervisor logs it. */
export interface EgressDecision {
  readonly request: EgressRequest;
  readonly verdict: EgressVerdict;
}

/** Decides one request; must not throw (a throw is treated as `halt` by the supervisor: fail closed). */
export type EgressDecider = (request: EgressRequest) => EgressVerdict;

/** How strongly the step's network was confined, strongest first; the report says which was used. */
export type SandboxKind = 'netns' | 'iptables' | 'proxy-env';
