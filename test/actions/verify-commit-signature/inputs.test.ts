// The action's inputs as the runner passes them (INPUT_* variables), read into one RunInputs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange, readRunInputs } from '../../../actions/verify-commit-signature/src/inputs.js';

const base = {
  'INPUT_ALLOWED-SIGNERS': '.github/allowed_signers',
  INPUT_SIGNING: 'keyless',
  'INPUT_FULCIO-URL': 'https://fulcio.example',
};

void describe('verify-commit-signature inputs', () => {
  void describe('when only the defaults and a signers file are given', () => {
    void it('verifies the event commits and signs keyless', () => {
      const inputs = readRunInputs({ ...base, 'INPUT_REKOR-URL': 'https://rekor.example' });
      assert.deepEqual(inputs.commits, { kind: 'event' });
      assert.deepEqual(inputs.signers, {
        kind: 'files',
        allowedSigners: '.github/allowed_signers',
      });
      assert.deepEqual(inputs.signing, {
        kind: 'keyless',
        fulcioURL: 'https://fulcio.example',
        rekorURL: 'https://rekor.example',
      });
      assert.equal(inputs.chain, '.sathos/chain.jsonl');
      assert.equal(inputs.repositoryPath, '.');
    });
  });

  void describe('when commits are named', () => {
    void it('reads a range and a list', () => {
      assert.deepEqual(readRunInputs({ ...base, INPUT_RANGE: 'main..HEAD' }).commits, {
        kind: 'range',
        base: 'main',
        head: 'HEAD',
      });
      assert.deepEqual(
        readRunInputs({ ...base, INPUT_COMMITS: 'a1b2c3\nd4e5f6, 0a0b0c' }).commits,
        {
          kind: 'list',
          commits: ['a1b2c3', 'd4e5f6', '0a0b0c'],
        },
      );
    });

    void it('refuses a symmetric difference and anything but base..head', () => {
      for (const text of ['main...HEAD', 'HEAD', '..HEAD', 'main..']) {
        assert.throws(() => parseRange(text), {
          code: 'USAGE',
          message: /write it as base\.\.head/,
        });
      }
    });
  });

  void describe('when mutually exclusive inputs are both set', () => {
    void it('names range and commits', () => {
      assert.throws(() => readRunInputs({ ...base, INPUT_RANGE: 'a..b', INPUT_COMMITS: 'c' }), {
        message: 'inputs "range" and "commits" are mutually exclusive; set only one',
      });
    });

    void it('names policy and allowed-signers, and policy and pgp-keys', () => {
      assert.throws(() => readRunInputs({ ...base, INPUT_POLICY: 'p.yml' }), {
        message: 'inputs "policy" and "allowed-signers" are mutually exclusive; set only one',
      });
      assert.throws(() => readRunInputs({ INPUT_POLICY: 'p.yml', 'INPUT_PGP-KEYS': 'k.asc' }), {
        message: 'inputs "policy" and "pgp-keys" are mutually exclusive; set only one',
      });
    });
  });

  void describe('when nobody may sign or signing is contradictory', () => {
    void it('refuses to run without a policy or signer files', () => {
      assert.throws(() => readRunInputs({ INPUT_SIGNING: 'keyless' }), {
        code: 'USAGE',
        message: /nobody may sign commits/,
      });
    });

    void it('refuses key signing without a key, and a key with keyless signing', () => {
      assert.throws(() => readRunInputs({ ...base, INPUT_SIGNING: 'key' }), {
        message: /"signing-key" is empty/,
      });
      assert.throws(() => readRunInputs({ ...base, 'INPUT_SIGNING-KEY': 'pem' }), {
        message: /"signing-key" is set but "signing" is keyless/,
      });
      assert.throws(() => readRunInputs({ ...base, INPUT_SIGNING: 'none' }), {
        message: /use one of "keyless", "key"/,
      });
    });
  });
});
