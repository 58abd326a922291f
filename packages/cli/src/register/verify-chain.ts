// `sathos verify-chain`: its arguments and options.
import type { Command } from 'commander';
import type { verifyChainCommand as Run } from '../commands/verify-chain.js';
import { type RecordOutcome, collect, jsonOption, withoutPolicyOptions } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const verifyChainCommand: typeof Run = async (...args) =>
  (await import('../commands/verify-chain.js')).verifyChainCommand(...args);

export function registerVerifyChain(program: Command, record: RecordOutcome): void {
  const command = program
    .command('verify-chain')
    .description('verify the whole chain of custody for the artifacts (docs/spec.md §5)')
    .argument('<chain>', 'chain file: JSON Lines of Sigstore bundles')
    .option(
      '--artifact <path>',
      'an artifact the chain must have built and deployed (repeatable)',
      collect,
    )
    .option(
      '--digest <alg:hex>',
      'an artifact by digest, when it is not at hand (repeatable; instead of or beside --artifact)',
      collect,
    )
    .option(
      '--environment <name>',
      'the environment every deploy record must name (and the policy declare)',
    )
    .option(
      '--policy <file>',
      'policy (file or github:<owner>/<repo>/<path>@<sha>): stages, signers, rules re-evaluated per record',
    )
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option('--github-api <url>', 'GitHub REST API root for github: policies (token: GITHUB_TOKEN)')
    .option(
      '--trusted-root <file>',
      "trusted_root.json, embedded:public-good or embedded:github (default: each certificate issuer's)",
    )
    .option('--key <public-key.pem>', 'public key of key-signed records (repeatable)', collect);
  withoutPolicyOptions(command)
    .option('--owner <owner>', 'every signer: GitHub owner of the source repository (claim)')
    .option('--repo <owner/repo>', 'every signer: GitHub source repository (claim)')
    .option('--signer-workflow <[host/]owner/repo/path>', 'every signer: this workflow, any ref')
    .option('--signer-repo <owner/repo>', 'every signer: a workflow in this repository')
    .option('--signer-digest <hex>', 'every signer: commit of the signing workflow')
    .option('--source-ref <ref>', 'every signer: source ref built, e.g. refs/heads/main')
    .option('--source-digest <hex>', 'every signer: source commit built')
    .option('--deny-self-hosted-runners', 'every signer: a GitHub-hosted runner')
    .addOption(jsonOption())
    .action((chain: string, o: Record<string, unknown>) =>
      record(
        o.json as boolean | undefined,
        verifyChainCommand({
          chain,
          ...(o as Omit<Parameters<typeof verifyChainCommand>[0], 'chain'>),
        }),
      ),
    );
}
