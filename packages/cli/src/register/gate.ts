// `sathos gate`: its arguments and options (docs/cli.md, docs/gate.md).
import type { Command } from 'commander';
import type { gateCommand as Run } from '../commands/gate.js';
import { signingOptions } from './attest.js';
import { type RecordOutcome, collect, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const gateCommand: typeof Run = async (...args) =>
  (await import('../commands/gate.js')).gateCommand(...args);

export function registerGate(program: Command, record: RecordOutcome): void {
  const command = program
    .command('gate')
    .description(
      'the deploy gate: verify the complete chain, decide the environment under the policy, sign the decision',
    )
    .requiredOption('--chain <chain.jsonl>', 'the chain to verify and append the decision to')
    .option(
      '--artifact <path>',
      'an artifact to deploy; the chain must have built it (repeatable)',
      collect,
    )
    .option(
      '--policy <file>',
      'policy (file or github:<owner>/<repo>/<path>@<sha>): stages, signers, rules, environments',
    )
    .option('--environment <name>', 'the environment to deploy to; the policy must declare it')
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option('--github-api <url>', 'GitHub REST API root for github: policies (token: GITHUB_TOKEN)')
    .option(
      '--trusted-root <file>',
      'trusted_root.json, or embedded:public-good (default) or embedded:github',
    )
    .option(
      '--verify-key <public.pem>',
      'public key of key-signed records in the chain (repeatable)',
      collect,
    )
    .option(
      '--approved-by <login>',
      'an approval you vouch for, recorded in the decision (repeatable)',
      collect,
    );
  signingOptions(command)
    .addOption(jsonOption())
    .action(async (o: Record<string, unknown>) => {
      await record(
        o.json as boolean | undefined,
        gateCommand(o as unknown as Parameters<typeof gateCommand>[0]),
      );
    });
}
