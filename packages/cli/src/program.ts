// The `sathos` command line (docs/cli.md is the contract): commander parses, each command
// returns an Outcome, and this file alone turns Outcomes into output and exit codes.
import { Argument, Command, CommanderError, Option } from 'commander';
import { oneLine } from '@sathos/core';
import { demoCommand } from './commands/demo.js';
import { guardCommand, type GuardOptions } from './commands/guard.js';
import { policyCommand } from './commands/policy.js';
import { postureCommand, type PostureOptions } from './commands/posture.js';
import { verifyBundleCommand } from './commands/verify-bundle.js';
import { verifyChainCommand } from './commands/verify-chain.js';
import { verifyCommitsCommand } from './commands/verify-commits.js';
import { argvProblem } from './argv-check.js';
import type { Outcome, Verdict } from './outcome.js';
import { failure, usage } from './outcome.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface Run {
  outcome?: Outcome;
  json: boolean;
}

function jsonOption(): Option {
  return new Option('--json', 'print exactly one JSON object on stdout, also on rejection');
}

function buildProgram(run: Run): Command {
  const program = new Command('sathos')
    .description(
      'Zero trust for the software delivery pipeline: verify every step from commit to deploy.',
    )
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride();

  const record = (json: boolean | undefined, outcome: Promise<Outcome>): Promise<void> => {
    run.json = json === true;
    return outcome.then((o) => {
      run.outcome = o;
    });
  };

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
      'trusted_root.json, or embedded:public-good (default) or embedded:github',
    )
    .option('--key <public-key.pem>', 'public key of a key-signed bundle (repeatable)', collect)
    .option('--cert-identity <san>', 'exact certificate subject (SAN) required')
    .option('--cert-identity-regexp <re>', 'pattern the whole certificate subject must match')
    .option('--cert-oidc-issuer <url>', 'exact OIDC issuer required')
    .option('--owner <owner>', 'GitHub owner of the source repository (certificate claim)')
    .option('--repo <owner/repo>', 'GitHub source repository (certificate claim)')
    .option('--signer-workflow <[host/]owner/repo/path>', 'workflow that signed, any ref')
    .option('--signer-repo <owner/repo>', 'repository of the workflow that signed')
    .option('--signer-digest <hex>', 'commit of the workflow that signed')
    .option('--source-ref <ref>', 'source ref built, e.g. refs/heads/main')
    .option('--source-digest <hex>', 'source commit built')
    .option('--deny-self-hosted-runners', 'require a GitHub-hosted runner')
    .option('--insecure-any-signer', 'accept any signer the trusted root certifies')
    .option('--predicate-type <uri>', 'required in-toto predicate type')
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

  program
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
      'trusted_root.json, or embedded:public-good (default) or embedded:github',
    )
    .option('--key <public-key.pem>', 'public key of key-signed records (repeatable)', collect)
    .option(
      '--require-stage <stage>',
      'without --policy: a required stage, in order (repeatable)',
      collect,
    )
    .option(
      '--cert-identity <san>',
      'without --policy: exact subject every record must be signed by',
    )
    .option('--cert-identity-regexp <re>', 'without --policy: pattern for every signer subject')
    .option('--cert-oidc-issuer <url>', 'without --policy: exact OIDC issuer of every signer')
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

  program
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

  program
    .command('demo')
    .description(
      'run the whole pipeline locally on embedded defaults, signed, chained and verified',
    )
    .requiredOption('--out <dir>', 'directory for the demo repository, chain, artifacts and keys')
    .addOption(jsonOption())
    .action((o: { out: string; json?: boolean }) => record(o.json, demoCommand({ out: o.out })));

  program
    .command('guard')
    .description(
      'run a command under the anomaly supervisor: each connection decided before it opens, halted past its deadline (docs/anomaly.md)',
    )
    .argument('<command>', 'the command to run; put -- before it when its arguments start with -')
    .argument('[args...]', 'its arguments')
    .option(
      '--allow-host <host[:port]>',
      'a host the command may reach: host, *.domain, IPv4 or [IPv6], optional :port (repeatable; not with --policy)',
      collect,
    )
    .option(
      '--mode <mode>',
      'what a host neither allowed nor known gets: audit, block (default) or halt; halt also enforces the baseline deadline',
    )
    .option('--max-duration <seconds>', 'halt the command after this many seconds, in every mode')
    .option('--baseline <file>', "the step's baseline (JSON); a missing file is a fresh baseline")
    .option(
      '--record-baseline',
      'add this run to the baseline when it exited 0, was not halted and nothing was refused',
    )
    .option('--policy <file>', 'policy whose anomaly: section decides hosts, mode and durations')
    .option('--policy-digest <sha256:hex>', 'the SHA-256 the policy bytes must have')
    .option('--step <id>', 'the step the baseline is of (default: the baseline\'s, else "default")')
    .option(
      '--report <file.json>',
      'write every connection, decision, duration and the sandbox used',
    )
    .option(
      '--sandbox <kind>',
      'auto (default: the strongest available), netns, iptables, proxy-env',
    )
    .addOption(jsonOption())
    .action((command: string, args: string[], o: Record<string, unknown>) =>
      record(
        o.json as boolean | undefined,
        guardCommand({
          command,
          args,
          ...(o as Omit<GuardOptions, 'command' | 'args'>),
        }),
      ),
    );

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

  return program;
}

function verdictOf(argv: readonly string[]): Verdict {
  return argv[0] === 'gate' || argv[0] === 'policy' || argv[0] === 'posture' || argv[0] === 'guard'
    ? 'allowed'
    : 'verified';
}

function emit(outcome: Outcome, json: boolean, io: CliIo): number {
  if (json) io.out(`${JSON.stringify(outcome.json)}\n`);
  else {
    const write = outcome.exitCode === 0 ? io.out : io.err;
    // Lines quote signed but attacker-named data (subject names, signers): shown escaped, never run.
    for (const line of outcome.lines) write(`${oneLine(line)}\n`);
  }
  // sathos guard ends with its command's own status.
  return outcome.status ?? outcome.exitCode;
}

/** commander's message as one usage line, pointing at the help of the command it is about. */
function commanderUsage(program: Command, error: CommanderError, argv: readonly string[]): string {
  const message = error.message
    .replace(/^error: /, '')
    .replace(/\.$/, '')
    .replace(/\.\s+(\w)/g, (_, c: string) => `; ${c.toLowerCase()}`);
  const command = program.commands.find((c) => c.name() === argv[0]);
  return `${message}; see sathos ${command === undefined ? '' : `${command.name()} `}--help`;
}

/** Runs one sathos invocation; never throws, never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const run: Run = { json: false };
  const program = buildProgram(run);
  let helpText = '';
  program.configureOutput({
    writeOut: (text) => (helpText += text),
    writeErr: (text) => (helpText += text),
    outputError: () => undefined,
  });
  for (const sub of program.commands) sub.configureOutput(program.configureOutput()).exitOverride();
  const json = argv
    .slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
    .includes('--json');
  const problem = argvProblem(program, argv, (option) => option.parseArg === collect);
  if (problem !== undefined) return emit(usage(verdictOf(argv), problem), json, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) {
        io.out(helpText);
        return 0;
      }
      return emit(usage(verdictOf(argv), commanderUsage(program, error, argv)), json, io);
    }
    return emit(failure(verdictOf(argv), error), json, io);
  }
  if (run.outcome === undefined) {
    // Only help or the version gets here (argvProblem refused an empty command line).
    io.out(helpText === '' ? program.helpInformation() : helpText);
    return 0;
  }
  return emit(run.outcome, run.json, io);
}
