// `sathos verify-commits`: its arguments and options.
import type { Command } from 'commander';
import type { verifyCommitsCommand as Run } from '../commands/verify-commits.js';
import { signingOptions } from './attest.js';
import { type RecordOutcome, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const verifyCommitsCommand: typeof Run = async (...args) =>
  (await import('../commands/verify-commits.js')).verifyCommitsCommand(...args);

export function registerVerifyCommits(program: Command, record: RecordOutcome): void {
  const command = program
    .command('verify-commits')
    .description('verify that every commit of a range is signed by an allowed signer')
    .argument(
      '<rev-range>',
      'base..head (a push before..after, a pull request base..head) or one commit',
    )
    .option('--repo <dir>', 'the git repository (default: the current directory)')
    .option(
      '--allowed-signers <file>',
      'OpenSSH allowed_signers file (ssh-keygen(1) ALLOWED SIGNERS)',
    )
    .option('--pgp-keys <file>', 'ASCII-armored OpenPGP public keys')
    .option('--policy <file>', 'policy whose commits: section names signers and protected paths')
    .option('--cert-identity <san>', 'without --policy: the gitsign certificate subject allowed')
    .option('--cert-identity-regexp <re>', 'without --policy: pattern for the gitsign subject')
    .option('--cert-oidc-issuer <url>', 'without --policy: the OIDC issuer of gitsign signers')
    .option(
      '--trusted-root <file>',
      'trusted_root.json (or embedded:<name>) anchoring gitsign signatures (default: public-good)',
    )
    .option(
      '--default-branch <ref>',
      'when base is unknown or all zeros (new branch, force push): verify the commits not on this branch',
    )
    .option(
      '--signature-time <when>',
      'without --policy: judge key validity at trusted (now; default, recommended) or committer time',
    )
    .option(
      '--chain <chain.jsonl>',
      'start this chain: on success sign the source record (with --key or --keyless) and write it',
    )
    .option(
      '--repository <name>',
      'with --chain: the repository records name (default: file://<repo>)',
    );
  signingOptions(command)
    .addOption(jsonOption())
    .action((range: string, o: Record<string, unknown>) =>
      record(
        o.json as boolean | undefined,
        verifyCommitsCommand({
          range,
          ...(o as Omit<Parameters<typeof verifyCommitsCommand>[0], 'range'>),
        }),
      ),
    );
}
