// Red team of the stop-commands fence: the command shares fd 1 with the action, so the last line
// it prints need not end. GitHub's runner reads a workflow command only from a line that starts with
// "::" (after leading spaces), so a resume token glued to the end of the command's last line would
// never resume command processing, and the action's later ::error:: would be silently dropped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

/** The ::error and ::set-output lines GitHub's runner honours in a log (stop-commands respected). */
function honoured(log: readonly string[]): string[] {
  let stopped: string | undefined;
  const out: string[] = [];
  for (const raw of log) {
    const line = raw.trimStart();
    if (stopped !== undefined) {
      if (line === `::${stopped}::`) stopped = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop !== null) stopped = stop[1];
    else if (line.startsWith('::')) out.push(line);
  }
  return out;
}

function logOf(command: string): string[] {
  const script = `
    import { commandsStopped } from ${JSON.stringify(new URL('./workflow-commands.ts', import.meta.url).href)};
    import { runCommand } from ${JSON.stringify(new URL('./attest/command.ts', import.meta.url).href)};
    const run = commandsStopped(runCommand);
    await run(${JSON.stringify(command)}, process.cwd(), { PATH: process.env.PATH });
    console.log('::error::the action reports');
  `;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.split('\n');
}

void describe('red team: the stop-commands fence', () => {
  void it("resumes even when the command's last line has no newline", () => {
    const log = logOf("printf '%s' 'a last line without its newline'");
    assert.deepEqual(honoured(log), ['::error::the action reports']);
  });

  void it('still ignores an attacker line printed before the unterminated one', () => {
    const log = logOf("echo '::set-output name=verified::true'; printf 'x'");
    assert.deepEqual(honoured(log), ['::error::the action reports']);
  });
});
