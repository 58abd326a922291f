// `sathos demo`: its options.
import type { Command } from 'commander';
import { demoCommand } from '../commands/demo.js';
import { type RecordOutcome, jsonOption } from './shared.js';

export function registerDemo(program: Command, record: RecordOutcome): void {
  program
    .command('demo')
    .description(
      'run the whole pipeline locally on embedded defaults, signed, chained and verified',
    )
    .requiredOption('--out <dir>', 'directory for the demo repository, chain, artifacts and keys')
    .addOption(jsonOption())
    .action((o: { out: string; json?: boolean }) => record(o.json, demoCommand({ out: o.out })));
}
