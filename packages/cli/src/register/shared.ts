// What every command's registration shares: how a repeatable option collects, the --json option,
// and the callback that records a command's Outcome for runCli.
import { Option, type Command } from 'commander';
import type { Outcome } from '../outcome.js';

/** Records the Outcome a command's action returns, and whether it asked for --json. */
export type RecordOutcome = (json: boolean | undefined, outcome: Promise<Outcome>) => Promise<void>;

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function jsonOption(): Option {
  return new Option('--json', 'print exactly one JSON object on stdout, also on rejection');
}

/** Who must have signed each record when no policy says (attest, verify-chain). */
export function withoutPolicyOptions(command: Command): Command {
  return command
    .option(
      '--require-stage <stage>',
      'without --policy: a required stage, in order (repeatable)',
      collect,
    )
    .option(
      '--cert-identity <san>',
      'without --policy: exact subject every record must be signed by',
    )
    .option('--cert-identity-regexp <re>', 'without --policy: pattern for every signer subject')
    .option('--cert-oidc-issuer <url>', 'without --policy: exact OIDC issuer of every signer');
}
