// `sathos posture`: its arguments and options.
import type { Command } from 'commander';
import type { postureCommand as Run, PostureOptions } from '../commands/posture.js';
import { type RecordOutcome, jsonOption } from './shared.js';

// The command's own module loads when the command runs: `sathos --help`, `--version` and a usage
// error never compile what only this command needs.
const postureCommand: typeof Run = async (...args) =>
  (await import('../commands/posture.js')).postureCommand(...args);

export function registerPosture(program: Command, record: RecordOutcome): void {
  program
    .command('posture')
    .description(
      "judge the workflows at a commit: each job's token, secrets and runner, every action it runs (docs/posture.md)",
    )
    .argument(
      '<repo-dir>',
      'the git repository; its workflows are read at --commit, not from the working tree',
    )
    .option('--commit <rev>', 'the commit to read the workflows at (default: HEAD)')
    .option(
      '--policy <file>',
      'policy whose posture: section decides (default: the embedded baseline, docs/policies/posture-baseline.yaml)',
    )
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option(
      '--lock [file]',
      'write the lock of every action run, resolved to commits (default: <repo-dir>/.github/sathos-actions.lock.json)',
    )
    .option('--sarif <file>', 'write the findings as SARIF 2.1.0 for GitHub code scanning')
    .option('--evidence <file>', 'write the workflow-posture in-toto statement (docs/spec.md)')
    .option(
      '--repository <owner/name>',
      "the repository (default: GITHUB_REPOSITORY); its owner's actions are first-party",
    )
    .option(
      '--github-api <url>',
      'GitHub REST API root that resolves action refs to commits (default: GITHUB_API_URL; token: GITHUB_TOKEN)',
    )
    .addOption(jsonOption())
    .action((repoDir: string, o: Record<string, unknown>) =>
      record(
        o.json as boolean | undefined,
        postureCommand({ repoDir, ...(o as Omit<PostureOptions, 'repoDir'>) }),
      ),
    );
}
