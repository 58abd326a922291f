// `sathos demo`: its options.
import type { Command } from 'commander';
import { demoCommand } from '../commands/demo.js';
import { type RecordOutcome, jsonOption } from './shared.js';

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
