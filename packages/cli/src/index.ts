// @sathos/cli as a library: tests and benchmarks drive the same code the executable runs.
export { runCli, type CliIo } from './program.js';
export type { Outcome, ExitCode } from './outcome.js';
