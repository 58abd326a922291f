// `sathos attest`: its arguments and options (docs/cli.md).
import type { Command } from 'commander';
import type { attestCommand as Run } from '../commands/attest.js';
import { stderrProgress } from '../progress.js';
import { type RecordOutcome, collect, jsonOption, withoutPolicyOptions } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const attestCommand: typeof Run = async (...args) =>
  (await import('../commands/attest.js')).attestCommand(...args);

/** The options every step signer takes (attest, verify-commits --chain). */
export function signingOptions(command: Command): Command {
  return command
    .option('--key <private.pem>', 'sign with this PEM private key')
    .option('--keyless', 'sign keyless: an OIDC token buys a Fulcio certificate')
    .option('--fulcio-url <url>', 'with --keyless: Fulcio (default: Sigstore public-good)')
    .option('--rekor-url <url>', 'with --keyless: Rekor (default: public-good unless --tsa-url)')
    .option('--tsa-url <url>', 'with --keyless: an RFC 3161 timestamp authority')
    .option('--oidc-token-file <file>', 'with --keyless: the file holding the OIDC token');
}

export function registerAttest(program: Command, record: RecordOutcome): void {
  const command = program
    .command('attest')
    .description(
      'record a pipeline step: verify the chain so far, decide, hash the subjects, sign, append',
    )
    .requiredOption('--stage <stage>', 'the stage: build, test, scan, or one the policy declares')
    .requiredOption('--chain <chain.jsonl>', 'the chain to verify and append to')
    .option(
      '--subject-path <glob>',
      'files, relative to the workspace (repeatable; !glob excludes)',
      collect,
    )
    .option('--subject-checksums <file>', 'a sha256sum / sha512sum / goreleaser checksums file')
    .option('--subject-digest <name@sha256:hex>', 'an artifact by digest (repeatable)', collect)
    .option('--subject-image <ref@sha256:hex>', 'a container image by digest (repeatable)', collect)
    .option(
      '--workspace <dir>',
      'the root subject paths are named from (default: the working directory)',
    )
    .option('--sha512', 'also name each file by its SHA-512')
    .option(
      '--policy <file>',
      'policy (file or github:<owner>/<repo>/<path>@<sha>): stages, signers, rules',
    )
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option('--github-api <url>', 'GitHub REST API root for github: policies (token: GITHUB_TOKEN)')
    .option(
      '--trusted-root <file>',
      'trusted_root.json, or embedded:public-good (default) or embedded:github',
    )
    .option(
      '--verify-key <public.pem>',
      'public key of key-signed records so far (repeatable)',
      collect,
    );
  withoutPolicyOptions(command)
    .option('--junit <file>', 'JUnit XML → test-result evidence (repeatable)', collect)
    .option('--sarif <file>', 'SARIF 2.1.0 → vulns evidence (repeatable)', collect)
    .option('--sbom <file>', 'SPDX or CycloneDX JSON → SBOM evidence')
    .option('--predicate <file>', 'a predicate (JSON object) signed as evidence')
    .option('--predicate-type <uri>', 'the predicate type of --predicate');
  signingOptions(command)
    .addOption(jsonOption())
    .action(async (o: Record<string, unknown>) => {
      const progress = stderrProgress();
      try {
        await record(
          o.json as boolean | undefined,
          attestCommand(o as unknown as Parameters<typeof attestCommand>[0], {
            env: process.env,
            cwd: process.cwd(),
            onProgress: progress.update,
          }),
        );
      } finally {
        progress.stop();
      }
    });
}
