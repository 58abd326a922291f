// The `sathos` executable: the only place that touches process streams and the exit code.
import { OutputStreams } from './output-streams.js';
import { runCli } from './program.js';

const output = new OutputStreams(
  { stdout: process.stdout, stderr: process.stderr },
  (code) => (process.exitCode = code),
);
const verdict = await runCli(process.argv.slice(2), {
  out: (text) => {
    output.write('stdout', text);
  },
  err: (text) => {
    output.write('stderr', text);
  },
});
process.exitCode = output.settle(verdict);
