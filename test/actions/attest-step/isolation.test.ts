// Attack: the `run:` command reads its parent's initial environment, /proc/<action pid>/environ —
// on a runner the action's inputs (the signing key) and ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, which
// the command's own scrubbed environment withholds. Where the supervisor cannot give the command
// its own pid namespace (forced here: the proxy-env fallback), attest-build and attest-step refuse
// before running it, with the chain unchanged; where it can (this machine), the command runs and
// the action's process is out of its sight.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAttestInputs, type AttestInputs, type AttestRuntime } from '@sathos/github';
import { chooseSandbox, superviseScript, supervisorIsolation } from '@sathos/guard';
import { run as runBuild } from '../../../actions/attest-build/src/main.js';
import { run as runStep } from '../../../actions/attest-step/src/main.js';
import { AttestFixture } from '../attest-build/fixture.js';

type Action = (inputs: AttestInputs, runtime: AttestRuntime) => Promise<void>;
const ACTIONS: readonly [string, Action, 'build' | 'test'][] = [
  ['attest-build', runBuild, 'build'],
  ['attest-step', runStep, 'test'],
];

void describe("attest-build and attest-step: the run: command and the action's process", () => {
  let fx: AttestFixture;
  before(async () => {
    fx = await AttestFixture.start();
  });
  after(async () => {
    await fx.dispose();
  });

  /** A chain ready for `stage`: source, and build too before a test step. */
  const chainFor = async (name: string, stage: 'build' | 'test') => {
    await fx.startChain(name, 'public');
    if (stage === 'build') return;
    const env = { ...fx.env('public'), ...fx.inputs(name, 'public', {}) };
    const runtime = fx.runtime(env);
    await runBuild(readAttestInputs(env, { stage: 'build' }), runtime);
    assert.deepEqual(runtime.io.failures, []);
  };

  /** Runs the action whose command copies this process's environ to a file, under `sandbox`. */
  const steal = async (action: Action, stage: 'build' | 'test', name: string, forced: boolean) => {
    await chainFor(name, stage);
    const before = fx.chainBytes(name);
    const stolen = join(fx.work, `stolen-${name}`);
    const script = `cat /proc/${process.pid}/environ > '${stolen}' 2>/dev/null || true`;
    const extra = stage === 'build' ? {} : { INPUT_STAGE: stage };
    const env = {
      ...fx.env('public'),
      ...fx.inputs(name, 'public', { ...extra, INPUT_RUN: script }),
    };
    const runtime: AttestRuntime & { io: ReturnType<AttestFixture['runtime']>['io'] } = {
      ...fx.runtime(env),
      runCommand: superviseScript,
      commandIsolation: forced ? () => supervisorIsolation('proxy-env') : supervisorIsolation,
    };
    await action(readAttestInputs(env, { stage }), runtime);
    const read = existsSync(stolen) ? readFileSync(stolen, 'utf8') : undefined;
    return { io: runtime.io, before, after: fx.chainBytes(name), read };
  };

  for (const [label, action, stage] of ACTIONS) {
    void it(`${label}: under the fallback sandbox the command is refused before it runs, chain unchanged`, async () => {
      const {
        io,
        before,
        after: chain,
        read,
      } = await steal(action, stage, `${label}-forced`, true);
      assert.equal(io.failures.length, 1);
      assert.match(
        io.failures[0] ?? '',
        /^USAGE: refused before running anything: the run: command could read this action's signing key.*proxy-env sandbox.*passwordless sudo/,
      );
      assert.equal(read, undefined, 'the command never ran');
      assert.deepEqual(chain, before, 'nothing was appended');
    });

    void it(`${label}: with its own pid namespace the command runs and cannot read the action's process`, async (t) => {
      if ((await chooseSandbox('auto')).kind !== 'netns') {
        t.skip('this machine cannot give the command a pid namespace');
        return;
      }
      const {
        io,
        before,
        after: chain,
        read,
      } = await steal(action, stage, `${label}-netns`, false);
      assert.deepEqual(io.failures, []);
      assert.equal(read, '', "the action's process is out of sight");
      assert.ok(chain.length > before.length, 'the step was signed and appended');
    });
  }
});
