// `sathos verify-bundle`: its arguments and options.
import type { Command } from 'commander';
import type { verifyBundleCommand as Run } from '../commands/verify-bundle.js';
import { type RecordOutcome, collect, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const verifyBundleCommand: typeof Run = async (...args) =>
  (await import('../commands/verify-bundle.js')).verifyBundleCommand(...args);

export function registerVerifyBundle(program: Command, record: RecordOutcome): void {
  program
    .command('verify-bundle')
    .description('verify one Sigstore bundle (JSON or JSON Lines) for an artifact')
    .argument('<bundle>', 'bundle file: .json or .jsonl (every line must verify)')
    .option('--artifact <path>', 'the artifact the bundle must be about')
    .option(
      '--digest <alg:hex>',
      'the artifact digest, when the artifact is not at hand (DSSE bundles)',
    )
    .option(
      '--trusted-root <file>',
      "trusted_root.json, embedded:public-good or embedded:github (default: the certificate issuer's)",
    )
    .option('--key <public-key.pem>', 'public key of a key-signed bundle (repeatable)', collect)
    .option('--cert-identity <san>', 'exact certificate subject (SAN) required')
    .option('--cert-identity-regexp <re>', 'pattern the whole certificate subject must match')
    .option('--cert-oidc-issuer <url>', 'exact OIDC issuer required')
    .option('--owner <owner>', 'GitHub owner of the source repository (certificate claim)')
    .option('--repo <owner/repo>', 'GitHub source repository (certificate claim)')
    .option(
      '--signer-workflow <[host/]owner/repo/path>',
      'workflow that signed, any ref (an RE2 pattern when it holds one)',
    )
    .option('--signer-repo <owner/repo>', 'repository of the workflow that signed')
    .option('--signer-digest <hex>', 'commit of the workflow that signed')
    .option('--source-ref <ref>', 'source ref built, e.g. refs/heads/main')
    .option('--source-digest <hex>', 'source commit built')
    .option('--deny-self-hosted-runners', 'require a GitHub-hosted runner')
    .option('--insecure-any-signer', 'accept any signer the trusted root certifies')
    .option(
      '--predicate-type <uri>',
      'required in-toto predicate type (with GitHub flags, default https://slsa.dev/provenance/v1)',
    )
    .addOption(jsonOption())
    .action((bundle: string, o: Record<string, unknown>) =>
      record(
        o.json as boolean | undefined,
        verifyBundleCommand({
          bundle,
          ...(o as Omit<Parameters<typeof verifyBundleCommand>[0], 'bundle'>),
        }),
      ),
    );
}
