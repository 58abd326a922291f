// Attack: the `run:` command cannot see GITHUB_ENV, but the runner's file commands sit in
// $RUNNER_TEMP/_runner_file_commands/, which it can list. A line it appends to this step's set_env_*
// file becomes the environment of the job's later steps (NODE_OPTIONS=--require … runs its code in
// the next attest step, which signs). The step must fail, the files be put back, nothing be signed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAttestInputs } from '@sathos/github';
import { run as runBuild } from '../../../actions/attest-build/src/main.js';
import { run } from '../../../actions/attest-step/src/main.js';
import { AttestFixture } from '../attest-build/fixture.js';

void describe('attest-step: the runner files of the step', () => {
  let fx: AttestFixture;
  before(async () => {
    fx = await AttestFixture.start();
  });
  after(async () => {
    await fx.dispose();
  });

  const built = async (name: string): Promise<void> => {
    await fx.startChain(name, 'public');
    const env = { ...fx.env('public'), ...fx.inputs(name, 'public', {}) };
    const runtime = fx.runtime(env);
    await runBuild(readAttestInputs(env, { stage: 'build' }), runtime);
    assert.deepEqual(runtime.io.failures, []);
  };

  /** The step's runner files as the runner lays them out, GITHUB_STEP_SUMMARY already written to. */
  const runnerFiles = (name: string) => {
    const temp = join(fx.work, `runner-temp-${name}`);
    const dir = join(temp, '_runner_file_commands');
    mkdirSync(dir, { recursive: true });
    const files = {
      GITHUB_ENV: join(dir, 'set_env_0b1c'),
      GITHUB_PATH: join(dir, 'add_path_0b1c'),
      GITHUB_OUTPUT: join(dir, 'set_output_0b1c'),
      GITHUB_STATE: join(dir, 'save_state_0b1c'),
      GITHUB_STEP_SUMMARY: join(dir, 'step_summary_0b1c'),
    };
    for (const path of Object.values(files)) writeFileSync(path, '');
    writeFileSync(files.GITHUB_STEP_SUMMARY, '## earlier\n');
    return { temp, files };
  };

  const attack = async (name: string, script: string) => {
    await built(name);
    const before = fx.chainBytes(name);
    const { temp, files } = runnerFiles(name);
    const env = {
      ...fx.env('public'),
      ...fx.inputs(name, 'public', { INPUT_STAGE: 'test', INPUT_RUN: script }),
      RUNNER_TEMP: temp,
      ...files,
    };
    const runtime = fx.runtime(env);
    await run(readAttestInputs(env), runtime);
    return { io: runtime.io, before, files };
  };

  void it('a command appending to set_env_* fails the step; the file is put back, nothing signed', async () => {
    const { io, before, files } = await attack(
      'env',
      'for f in "$RUNNER_TEMP"/_runner_file_commands/set_env_* "$RUNNER_TEMP"/_runner_file_commands/step_summary_*; do echo "NODE_OPTIONS=--require=/tmp/evil.js" >> "$f"; done',
    );
    assert.equal(io.failures.length, 1);
    assert.match(io.failures[0] ?? '', /COMMAND_FAILED.*GITHUB_STEP_SUMMARY, GITHUB_ENV/);
    assert.equal(readFileSync(files.GITHUB_ENV, 'utf8'), '');
    assert.equal(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), '## earlier\n');
    assert.deepEqual(fx.chainBytes('env'), before, 'nothing was appended');
  });

  void it('a runner file swapped for a symlink to the chain is never written through', async () => {
    const chain = fx.chainPath('link');
    const { io, before, files } = await attack(
      'link',
      `f=$(echo "$RUNNER_TEMP"/_runner_file_commands/step_summary_*); rm "$f"; ln -s '${chain}' "$f"`,
    );
    assert.match(io.failures[0] ?? '', /COMMAND_FAILED.*GITHUB_STEP_SUMMARY/);
    assert.ok(lstatSync(files.GITHUB_STEP_SUMMARY).isFile());
    assert.equal(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), '## earlier\n');
    assert.deepEqual(fx.chainBytes('link'), before);
  });

  void it('a command that leaves them alone signs as before', async () => {
    const { io, before, files } = await attack('honest', 'echo testing > /dev/null');
    assert.deepEqual(io.failures, []);
    assert.ok(fx.chainBytes('honest').length > before.length);
    assert.ok(existsSync(files.GITHUB_ENV));
  });
});
