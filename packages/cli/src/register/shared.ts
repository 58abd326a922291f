// What every command's registration shares: how a repeatable option collects, the --json option,
// and the callback that records a command's Outcome for runCli.
import { Option } from 'commander';
import type { Outcome } from '../outcome.js';

/** Records the Outcome a command's action returns, and whether it asked for --json. */
export type RecordOutcome = (json: boolean | undefined, outcome: Promise<Outcome>) => Promise<void>;

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function jsonOption(): Option {
  return new Option('--json', 'print exactly one JSON object on stdout, also on rejection');
}
