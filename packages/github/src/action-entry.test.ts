import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SathosError } from '@sathos/core';
import { startAction, stepFailureLine } from './action-entry.js';
import { recordingIO } from './io.js';

void describe('startAction', () => {
  void it('reads the inputs, then loads the action and runs it with them', async () => {
    const io = recordingIO();
    const seen: string[] = [];
    await startAction(
      () => 'inputs',
      () => {
        seen.push('loaded');
        return Promise.resolve((inputs: string) => {
          seen.push(`ran with ${inputs}`);
          return Promise.resolve();
        });
      },
      io,
    );
    assert.deepEqual(seen, ['loaded', 'ran with inputs']);
    assert.deepEqual(io.failures, []);
  });

  void it('fails the step with the input error and never loads the action', async () => {
    const io = recordingIO();
    let loaded = false;
    await startAction(
      () => {
        throw new SathosError('USAGE', 'input "run" is required; set it');
      },
      () => {
        loaded = true;
        return Promise.resolve(() => Promise.resolve());
      },
      io,
    );
    assert.equal(loaded, false);
    assert.deepEqual(io.failures, ['USAGE: input "run" is required; set it']);
  });

  void it('fails the step in one line when the action cannot be loaded (a dist/ missing a file)', async () => {
    const io = recordingIO();
    await startAction(
      () => 'inputs',
      () => Promise.reject(new Error("Cannot find module '/x/dist/main.js'\n    at stack")),
      io,
    );
    assert.equal(io.failures.length, 1);
    assert.match(
      io.failures[0] ?? '',
      /^unexpected error: the action's code did not load \(Cannot find module '\/x\/dist\/main\.js'\); /,
    );
  });
});

void describe('startAction, when the run throws', () => {
  void it('fails the step with the error in one line', async () => {
    const io = recordingIO();
    await startAction(
      () => 'inputs',
      () =>
        Promise.resolve(() => Promise.reject(new SathosError('CHAIN_BROKEN', 'record 2 is bad'))),
      io,
    );
    assert.deepEqual(io.failures, ['CHAIN_BROKEN: record 2 is bad']);
  });
});

void describe('stepFailureLine', () => {
  void it('gives a SathosError its code and line, anything else as unexpected', () => {
    assert.equal(stepFailureLine(new SathosError('USAGE', 'bad', { where: 'f' })), 'USAGE: f: bad');
    assert.equal(stepFailureLine(new Error('boom\nstack')), 'unexpected error: boom');
  });
});
