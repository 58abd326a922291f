// Why the actions ask the supervisor for a pid namespace before they run a `run:` command: the
// action's process holds its signing key and the runner's token-request credentials in its initial
// environment, and a command that can see that process reads them from /proc/<pid>/environ
// however clean its own environment is. Built as the attack: a real command under the real
// supervisor tries to read this process's environment.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anomalySettings } from '@sathos/core';
import { chooseSandbox } from './sandbox.js';
import { superviseStep } from './supervise-step.js';
import { supervisorIsolation } from './isolation.js';

/** Runs the reader under the supervisor's `sandbox`; true when it read this process's environ. */
async function readsGateEnvironment(sandbox: 'proxy-env' | 'auto' | 'iptables'): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'sathos-isolation-'));
  // Writable to the iptables level's step uid too: only the environ read may fail.
  chmodSync(dir, 0o777);
  const out = join(dir, 'stolen');
  try {
    await superviseStep({
      command: 'bash',
      args: ['-c', `tr '\\0' '\\n' 2>/dev/null < /proc/${process.pid}/environ > "${out}" || true`],
      env: { PATH: process.env.PATH ?? '' },
      cwd: dir,
      settings: anomalySettings(undefined, { mode: 'audit' }, 'test'),
      step: 'run',
      sandbox,
    });
    return existsSync(out) && /^PATH=/m.test(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void describe("supervisorIsolation: the run: command and the action's process", () => {
  void it('attack: under the proxy-env sandbox the command reads the gate process environment', async () => {
    assert.equal(await readsGateEnvironment('proxy-env'), true);
  });

  void it('a forced fallback sandbox is named as exposing the process', async () => {
    assert.match(
      (await supervisorIsolation('proxy-env')) ?? '',
      /proxy-env sandbox.*pid namespace/,
    );
  });

  void it('the gate runs the command only where the supervisor gives it a pid namespace', async () => {
    const choice = await chooseSandbox('auto');
    const exposed = await supervisorIsolation();
    if (choice.kind === 'netns') {
      assert.equal(exposed, undefined);
      assert.equal(await readsGateEnvironment('auto'), false, 'the gate process is out of sight');
    } else {
      assert.match(exposed ?? '', new RegExp(`${choice.kind} sandbox`));
    }
  });

  void it('attack: under the iptables level the command, a uid of its own, cannot read it', async (t) => {
    const available = await chooseSandbox('iptables').then(
      () => true,
      () => false,
    );
    if (!available) {
      t.skip('the iptables level needs root and iptables');
      return;
    }
    assert.equal(await supervisorIsolation('iptables'), undefined);
    assert.equal(await readsGateEnvironment('iptables'), false, 'a uid of its own reads nothing');
  });
});
