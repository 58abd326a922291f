// The gateway's bounds: what one hostile client (or a thousand) can make it hold. Beyond each bound
// the client is refused, never let through undecided.

export interface GatewayLimits {
  /** Open client connections (proxy and DNS-over-stream together); the next one is closed at once. */
  readonly maxConnections: number;
  /** A client must finish its request line and headers within this many milliseconds. */
  readonly headerTimeoutMs: number;
  /** Request line plus headers, in bytes; larger gets 431 and the connection closes. */
  readonly maxHeaderBytes: number;
  /** An allowed upstream must accept the connection within this many milliseconds. */
  readonly connectTimeoutMs: number;
  /** DNS questions being answered at once (UDP); more are answered REFUSED without asking. */
  readonly maxDnsInFlight: number;
  /** Decisions kept in the log; later ones are only counted. */
  readonly maxDecisionsLogged: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxConnections: 256,
  headerTimeoutMs: 10_000,
  maxHeaderBytes: 16_384,
  connectTimeoutMs: 10_000,
  maxDnsInFlight: 256,
  maxDecisionsLogged: 10_000,
};

/** The defaults with the caller's overrides; a bound that is not a positive integer is refused. */
export function gatewayLimits(overrides: Partial<GatewayLimits> = {}): GatewayLimits {
  const limits = { ...DEFAULT_GATEWAY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `gateway limit ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  return limits;
}
