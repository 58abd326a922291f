// `sathos demo`: its options.
import type { Command } from 'commander';
import type { demoCommand as Run } from '../commands/demo.js';
import { type RecordOutcome, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const demoCommand: typeof Run = async (...args) =>
  (await import('../commands/demo.js')).demoCommand(...args);

export function registerDemo(program: Command, record: RecordOutcome): void {
  program
    .command('demo')
    .description(
      'run the reusable pipeline locally, keyless against loopback stand-ins: signed, verified, one attack refused',
    )
    .requiredOption(
      '--out <dir>',
      'directory for the demo repositories, runs, chain, artifacts, policy and trusted root',
    )
    .addOption(jsonOption())
    .action((o: { out: string; json?: boolean }) => record(o.json, demoCommand({ out: o.out })));
}
