import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runCommand } from './attest/command.js';
import { commandsStopped, withWorkflowCommandsStopped } from './workflow-commands.js';

/** What GitHub's runner does with the log: the ::set-output and ::error lines it honours. */
function honoured(log: readonly string[]): string[] {
  let stopped: string | undefined;
  const out: string[] = [];
  for (const line of log) {
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

void describe('workflow commands in a supervised command', () => {
  void it("are off for the command's whole output, and on again after it, even when it fails", async () => {
    const log: string[] = [];
    const write = (line: string) => log.push(line);
    await assert.rejects(
      withWorkflowCommandsStopped(() => {
        log.push('::set-output name=verified::true', '::stop-commands::mine');
        return Promise.reject(new Error('command failed'));
      }, write),
    );
    log.push('::error::the action still reports');
    assert.deepEqual(honoured(log), ['::error::the action still reports']);
  });

  void it('uses a fresh unguessable token each time', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      await withWorkflowCommandsStopped(
        () => Promise.resolve(),
        (line) => tokens.push(line),
      );
    }
    const stops = tokens.filter((line) => line.startsWith('::stop-commands::'));
    assert.equal(stops.length, 2);
    assert.match(stops[0] ?? '', /^::stop-commands::sathos-[0-9a-f]{32}$/);
    assert.notEqual(stops[0], stops[1]);
  });

  void it("keeps a real command's own ::set-output and ::stop-commands lines from the runner", () => {
    // The action's process and the command share fd 1, as on a runner: run it in a child whose
    // stdout is one pipe, then read the log as the runner would.
    const script = `
      import { commandsStopped } from ${JSON.stringify(new URL('./workflow-commands.ts', import.meta.url).href)};
      import { runCommand } from ${JSON.stringify(new URL('./attest/command.ts', import.meta.url).href)};
      const run = commandsStopped(runCommand);
      await run("echo '::set-output name=verified::true'; echo '::stop-commands::attacker'; echo '::add-mask::x'", process.cwd(), { PATH: process.env.PATH });
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
    const log = child.stdout.split('\n').filter((line) => line !== '');
    assert.ok(log.includes('::set-output name=verified::true'), 'the command did print it');
    assert.deepEqual(honoured(log), ['::error::the action reports']);
  });

  void it('passes the outcome through unchanged', async () => {
    const run = commandsStopped(runCommand, () => undefined);
    const outcome = await run('exit 3', process.cwd(), { PATH: process.env.PATH });
    assert.equal(outcome.exitStatus, 3);
  });
});
