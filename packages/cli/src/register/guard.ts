// `sathos guard`: its arguments and options.
import type { Command } from 'commander';
import type { guardCommand as Run, GuardOptions } from '../commands/guard.js';
import { type RecordOutcome, collect, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const guardCommand: typeof Run = async (...args) =>
  (await import('../commands/guard.js')).guardCommand(...args);

export function registerGuard(program: Command, record: RecordOutcome): void {
  program
    .command('guard')
    .description(
      'run a command under the anomaly supervisor: each connection decided before it opens, halted past its deadline (docs/anomaly.md)',
    )
    .argument('<command>', 'the command to run; put -- before it when its arguments start with -')
    .argument('[args...]', 'its arguments')
    .option(
      '--allow-host <host[:port]>',
      'a host the command may reach: host, *.domain, IPv4 or [IPv6], optional :port (repeatable; not with --policy)',
      collect,
    )
    .option(
      '--mode <mode>',
      'what a host neither allowed nor known gets: audit, block (default) or halt; halt also enforces the baseline deadline',
    )
    .option('--max-duration <seconds>', 'halt the command after this many seconds, in every mode')
    .option('--baseline <file>', "the step's baseline (JSON); a missing file is a fresh baseline")
    .option(
      '--record-baseline',
      'add this run to the baseline when it exited 0, was not halted and nothing was refused',
    )
    .option('--policy <file>', 'policy whose anomaly: section decides hosts, mode and durations')
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option('--step <id>', 'the step the baseline is of (default: the baseline\'s, else "default")')
    .option(
      '--report <file.json>',
      'write every connection, decision, duration and the sandbox used',
    )
    .option(
      '--sandbox <kind>',
      'auto (default: the strongest available), netns, iptables, proxy-env',
    )
    .addOption(jsonOption())
    .action((command: string, args: string[], o: Record<string, unknown>) =>
      record(
        o.json as boolean | undefined,
        guardCommand({
          command,
          args,
          ...(o as Omit<GuardOptions, 'command' | 'args'>),
        }),
      ),
    );
}
