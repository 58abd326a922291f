import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertExclusive,
  getBooleanInput,
  getChoiceInput,
  getInput,
  getListInput,
  inputVariable,
} from './inputs.js';

void describe('action inputs', () => {
  void describe('when an input is read', () => {
    void it('uses the runner variable name and trims the value', () => {
      assert.equal(inputVariable('signing key'), 'INPUT_SIGNING_KEY');
      assert.equal(getInput({ 'INPUT_REPOSITORY-PATH': '  repo \n' }, 'repository-path'), 'repo');
    });

    void it('treats empty as absent, and a required empty input as a usage error naming it', () => {
      assert.equal(getInput({ INPUT_CHAIN: '   ' }, 'chain'), undefined);
      assert.throws(() => getInput({}, 'chain', { required: true }), {
        code: 'USAGE',
        message: /input "chain" is required/,
      });
    });
  });

  void describe('when a boolean input is read', () => {
    void it('accepts the YAML 1.2 core booleans only', () => {
      for (const yes of ['true', 'True', 'TRUE'])
        assert.equal(getBooleanInput({ INPUT_X: yes }, 'x', false), true);
      for (const no of ['false', 'False', 'FALSE'])
        assert.equal(getBooleanInput({ INPUT_X: no }, 'x', true), false);
      assert.equal(getBooleanInput({}, 'x', true), true);
    });

    void it('refuses YAML 1.1 spellings such as yes, on and 1', () => {
      for (const value of ['yes', 'on', '1', 'tRUE']) {
        assert.throws(() => getBooleanInput({ INPUT_X: value }, 'x', false), {
          code: 'USAGE',
          message: /not a YAML 1.2 boolean/,
        });
      }
    });
  });

  void describe('when a list or a choice is read', () => {
    void it('splits lines (and commas when asked), dropping blanks', () => {
      assert.deepEqual(getListInput({ INPUT_C: 'a\n\n b \n' }, 'c'), ['a', 'b']);
      assert.deepEqual(getListInput({ INPUT_C: 'a, b\nc' }, 'c', true), ['a', 'b', 'c']);
      assert.deepEqual(getListInput({}, 'c'), []);
    });

    void it('refuses a value outside the choices, naming them', () => {
      assert.equal(getChoiceInput({ INPUT_S: 'key' }, 's', ['key', 'keyless'], 'keyless'), 'key');
      assert.throws(() => getChoiceInput({ INPUT_S: 'none' }, 's', ['key', 'keyless'], 'keyless'), {
        code: 'USAGE',
        message: /use one of "key", "keyless"/,
      });
    });
  });

  void describe('when mutually exclusive inputs are both set', () => {
    void it('fails naming both', () => {
      assert.throws(
        () => {
          assertExclusive({ INPUT_RANGE: 'a..b', INPUT_COMMITS: 'c' }, ['range', 'commits']);
        },
        {
          code: 'USAGE',
          message: 'inputs "range" and "commits" are mutually exclusive; set only one',
        },
      );
      assert.doesNotThrow(() => {
        assertExclusive({ INPUT_RANGE: 'a..b', INPUT_COMMITS: ' ' }, ['range', 'commits']);
      });
    });
  });
});
