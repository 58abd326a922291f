// What commander lets through that a security tool must not: a value taken from the next flag
// (`--artifact --json` read "--json" as the path and printed no JSON), a single-valued flag given
// twice (the later silently won), and a command that does not exist (its --help printed the
// top-level help with exit 0). Each is one usage line, found before anything runs.
import type { Command, Option } from 'commander';

function listOf(program: Command): string {
  return program.commands.map((c) => c.name()).join(', ');
}

function unknownCommand(program: Command, name: string): string {
  return `unknown command '${name}'; the commands are ${listOf(program)} (see sathos --help)`;
}

/** The option a `--name` or `--name=value` token names, with whether the value came attached. */
function optionOf(
  command: Command,
  token: string,
): { option: Option; attached: boolean } | undefined {
  const equals = token.indexOf('=');
  const flag = equals < 0 ? token : token.slice(0, equals);
  const option = command.options.find((o) => o.long === flag || o.short === flag);
  return option === undefined ? undefined : { option, attached: equals >= 0 };
}

// A value that looks like a flag was almost always a forgotten value; `--flag=-x` still passes one.
function valueProblem(flag: string, next: string | undefined): string | undefined {
  if (next === undefined || !next.startsWith('-') || next === '-') return undefined;
  return `${flag} needs a value but is followed by the flag ${next}; give the value (or write ${flag}=${next} if that is the value)`;
}

/** The problem with the flags given to `command`, if any. */
function flagsProblem(
  command: Command,
  args: readonly string[],
  repeatable: (option: Option) => boolean,
): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i += 1) {
    const token = args[i] ?? '';
    if (token === '--') return undefined;
    const found = token.startsWith('-') ? optionOf(command, token) : undefined;
    if (found === undefined) continue;
    const { option, attached } = found;
    const name = option.long ?? option.flags;
    if (option.required && !attached) {
      const problem = valueProblem(name, args[i + 1]);
      if (problem !== undefined) return problem;
      i += 1;
    }
    if (!option.isBoolean() && !repeatable(option)) {
      if (seen.has(name)) return `${name} was given twice; give it once`;
      seen.add(name);
    }
  }
  return undefined;
}

/**
 * The usage problem in `argv` that commander would not report (or would report as help with exit 0),
 * or undefined when commander may parse it. `repeatable` says which options collect every value.
 */
export function argvProblem(
  program: Command,
  argv: readonly string[],
  repeatable: (option: Option) => boolean,
): string | undefined {
  const [first, second] = argv;
  if (first === undefined || argv.every((a) => a === '--json')) {
    return `no command given; the commands are ${listOf(program)} (see sathos --help)`;
  }
  if (first.startsWith('-')) return undefined;
  const known = (name: string): Command | undefined =>
    program.commands.find((c) => c.name() === name);
  if (first === 'help') {
    return second === undefined || known(second) !== undefined
      ? undefined
      : unknownCommand(program, second);
  }
  const command = known(first);
  if (command === undefined) return unknownCommand(program, first);
  return flagsProblem(command, argv.slice(1), repeatable);
}
