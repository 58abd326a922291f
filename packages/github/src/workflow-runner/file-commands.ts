// The files a step writes its outputs and environment to (GITHUB_OUTPUT, GITHUB_ENV), read as the
// runner reads them: `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks. A malformed file
// fails the step: an output lost without a word would let a later step read an empty value.
import { SathosError } from '@sathos/core';

/** GitHub caps a job's outputs at 1 MB; a step's command file past this is refused. */
export const MAX_FILE_COMMAND_BYTES = 1024 * 1024;

function malformed(where: string, message: string): SathosError {
  return new SathosError('WORKFLOW_INVALID', `${message}; the step wrote a malformed file`, {
    where,
  });
}

/** Parses a GITHUB_OUTPUT or GITHUB_ENV file into name → value (a later line wins). */
export function parseFileCommands(content: string, where: string): Record<string, string> {
  if (Buffer.byteLength(content) > MAX_FILE_COMMAND_BYTES)
    throw malformed(where, `more than ${MAX_FILE_COMMAND_BYTES} bytes`);
  const lines = content.split(/\r?\n/);
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const [, name = '', delimiter = ''] = heredoc;
      const end = lines.indexOf(delimiter, i + 1);
      if (end === -1) throw malformed(`${where} line ${i + 1}`, `no closing ${delimiter}`);
      out[name] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0)
      throw malformed(`${where} line ${i + 1}`, 'a line is neither name=value nor name<<DELIMITER');
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
