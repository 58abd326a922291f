// `sathos policy check|test`: its arguments and options.
import type { Command } from 'commander';
import { Argument } from 'commander';
import type { policyCommand as Run } from '../commands/policy.js';
import { type RecordOutcome, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const policyCommand: typeof Run = async (...args) =>
  (await import('../commands/policy.js')).policyCommand(...args);

export function registerPolicy(program: Command, record: RecordOutcome): void {
  program
    .command('policy')
    .description('check a policy, or test it against recorded inputs (docs/policy.md)')
    .addArgument(
      new Argument('<action>', 'check: load and compile; test: one decision').choices([
        'check',
        'test',
      ]),
    )
    .argument('<policy>', 'policy file, or github:<owner>/<repo>/<path>@<commit sha>')
    .option('--input <input.json>', 'test: JSON object whose top-level keys are the CEL variables')
    .option('--stage <stage>', 'test: the stage to decide (default: the input\'s "stage")')
    .option('--environment <name>', 'test: the deploy environment to decide about')
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option('--github-api <url>', 'GitHub REST API root for github: policies (token: GITHUB_TOKEN)')
    .addOption(jsonOption())
    .action((action: string, policy: string, o: Record<string, unknown>) =>
      record(o.json as boolean | undefined, policyCommand(action, policy, o)),
    );
}
