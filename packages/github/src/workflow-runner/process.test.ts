import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runProcess } from './process.js';

void describe("the local runner's step process", () => {
  void it('collects ::error lines, except while ::stop-commands:: holds, as GitHub’s runner does', async () => {
    const log: string[] = [];
    const result = await runProcess({
      command: 'bash',
      args: [
        '-c',
        [
          "echo '::error::before'",
          "echo '::stop-commands::t0k3n'",
          "echo '::error::from the fenced command'",
          "echo '::t0k3n::'",
          "echo '::error::after'",
        ].join('; '),
      ],
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeoutMs: 30_000,
      log: (line) => log.push(line),
    });
    assert.equal(result.exitCode, 0);
    assert.deepEqual(result.errors, ['before', 'after']);
    assert.equal(log.length, 5, 'every line is still in the log');
  });
});
