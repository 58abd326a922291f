// Every question the gateway asks goes through here: the caller's decider is asked once per request,
// a throw or a malformed answer becomes `halt` (fail closed), every answer is logged, and after a
// halt nothing more is allowed without asking.
import type {
  EgressAction,
  EgressDecider,
  EgressDecision,
  EgressProtocol,
  EgressVerdict,
} from '@sathos/core';

const ACTIONS: readonly EgressAction[] = ['allow', 'audit', 'block', 'halt'];

/** True when the verdict lets the connection open. */
export function opens(verdict: EgressVerdict): boolean {
  return verdict.action === 'allow' || verdict.action === 'audit';
}

export interface DecisionLogOptions {
  readonly decide: EgressDecider;
  readonly onDecision: ((decision: EgressDecision) => void) | undefined;
  /** Called once, with the reason, on the first `halt`. */
  readonly onHalt: (reason: string) => void;
  readonly clock: () => number;
  /**
   * Decisions kept in `decisions`; later ones are counted in `dropped` (a flood cannot grow memory).
   * A decision that is not `allow` is a finding, so past the bound up to as many more of them are
   * still kept: a flood of allowed requests cannot push a finding out of the log.
   */
  readonly maxLogged: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A verdict from an untyped caller could be anything: only the four actions count.
function checkedVerdict(value: unknown): EgressVerdict | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { action, rule, reason } = value as Record<string, unknown>;
  if (!ACTIONS.includes(action as EgressAction)) return undefined;
  return {
    action: action as EgressAction,
    rule: typeof rule === 'string' ? rule : 'unnamed rule',
    reason: typeof reason === 'string' ? reason : '',
  };
}

export class DecisionLog {
  readonly decisions: EgressDecision[] = [];
  /** Decisions past both bounds, counted by action only (those not `allow` are uncited findings). */
  readonly droppedByAction: Record<EgressAction, number> = {
    allow: 0,
    audit: 0,
    block: 0,
    halt: 0,
  };
  private flaggedPastBound = 0;
  private haltReason: string | undefined;

  /** Every decision not kept in `decisions`. */
  get dropped(): number {
    return Object.values(this.droppedByAction).reduce((a, b) => a + b, 0);
  }

  constructor(private readonly options: DecisionLogOptions) {}

  get halted(): string | undefined {
    return this.haltReason;
  }

  /** Asks the decider about one request, logs the answer, and reports a halt. */
  decide(host: string, port: number, protocol: EgressProtocol, pid?: number): EgressVerdict {
    const request = {
      host,
      port,
      protocol,
      at: this.options.clock(),
      ...(pid === undefined ? {} : { pid }),
    };
    const verdict = this.ask(request);
    const decision: EgressDecision = { request, verdict };
    this.keep(decision);
    try {
      this.options.onDecision?.(decision);
    } catch (error) {
      this.halt(`the decision listener threw: ${describe(error)}`);
    }
    if (verdict.action === 'halt') {
      this.halt(`${host}:${port} (${protocol}): ${verdict.reason || verdict.rule}`);
    }
    return verdict;
  }

  private keep(decision: EgressDecision): void {
    const { maxLogged } = this.options;
    if (this.decisions.length < maxLogged) {
      this.decisions.push(decision);
    } else if (decision.verdict.action !== 'allow' && this.flaggedPastBound < maxLogged) {
      this.flaggedPastBound++;
      this.decisions.push(decision);
    } else this.droppedByAction[decision.verdict.action]++;
  }

  /** Stops everything from here on; only the first reason is kept. */
  halt(reason: string): void {
    if (this.haltReason !== undefined) return;
    this.haltReason = reason;
    this.options.onHalt(reason);
  }

  private ask(request: Parameters<EgressDecider>[0]): EgressVerdict {
    if (this.haltReason !== undefined) {
      return { action: 'block', rule: 'halted', reason: 'the step is being halted' };
    }
    let answer: unknown;
    try {
      answer = this.options.decide(request);
    } catch (error) {
      return {
        action: 'halt',
        rule: 'decider error',
        reason: `the decider threw: ${describe(error)}`,
      };
    }
    return (
      checkedVerdict(answer) ?? {
        action: 'halt',
        rule: 'decider error',
        reason: 'the decider returned no valid verdict (allow, audit, block or halt)',
      }
    );
  }
}
