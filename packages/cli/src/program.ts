// The `sathos` command line (docs/cli.md is the contract): commander parses, each command
// returns an Outcome, and this file alone turns Outcomes into output and exit codes.
import { Command, CommanderError } from 'commander';
// Not the @sathos/core barrel: what `sathos --help` loads stays apart from what commands load.
import { oneLine } from '@sathos/core/errors';
import { registerVerifyBundle } from './register/verify-bundle.js';
import { registerVerifyChain } from './register/verify-chain.js';
import { registerVerifyCommits } from './register/verify-commits.js';
import { registerAttest } from './register/attest.js';
import { registerGate } from './register/gate.js';
import { registerPolicy } from './register/policy.js';
import { registerDemo } from './register/demo.js';
import { registerGuard } from './register/guard.js';
import { registerPosture } from './register/posture.js';
import { collect } from './register/shared.js';
import { argvProblem } from './argv-check.js';
import type { Outcome, Verdict } from './outcome.js';
import { failure, usage } from './outcome.js';
import type { RecordOutcome } from './register/shared.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

interface Run {
  outcome?: Outcome;
  json: boolean;
}

/** The program: each command registers its own arguments and options (register/<command>.ts). */
function buildProgram(run: Run): Command {
  const program = new Command('sathos')
    .description(
      'Zero trust for the software delivery pipeline: verify every step from commit to deploy.',
    )
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride();

  const record: RecordOutcome = (json, outcome) => {
    run.json = json === true;
    return outcome.then((o) => {
      run.outcome = o;
    });
  };

  registerVerifyBundle(program, record);
  registerVerifyChain(program, record);
  registerVerifyCommits(program, record);
  registerAttest(program, record);
  registerGate(program, record);
  registerPolicy(program, record);
  registerDemo(program, record);
  registerGuard(program, record);
  registerPosture(program, record);

  return program;
}

function verdictOf(argv: readonly string[]): Verdict {
  return argv[0] === 'gate' ||
    argv[0] === 'attest' ||
    argv[0] === 'policy' ||
    argv[0] === 'posture' ||
    argv[0] === 'guard'
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
